import { HybridLogicalClock } from '../conflict/HybridLogicalClock.js';
import { encodeVersion } from '../conflict/version.js';
import { encodeItem } from '../core/codec.js';
import { metadataNamesFor } from '../core/config/topology.js';
import type { AttributeValue, Item, WireItem } from '../core/types.js';
import type { StreamRecord } from '../replicator/types.js';
import { seededRandom } from '../test/support/seededRandom.js';

export { seededRandom };

/** How keys are drawn: every record a new key, or a skewed (Zipf) choice among a fixed set. */
export type KeyDistribution =
  | { readonly type: 'uniform' }
  | {
      readonly type: 'zipf';
      /** Number of distinct keys. */
      readonly keys: number;
      /** Zipf exponent `s`: the key of rank k is drawn with probability ∝ k^-s. */
      readonly exponent: number;
    };

/**
 * Draws key ranks 0..keys-1 with probability ∝ (rank+1)^-exponent (inverse CDF, binary search).
 * @example
 * const next = zipfSampler(1000, 1.2, seededRandom(1));
 * next(); // 0 about 23% of the time
 */
export const zipfSampler = (keys: number, exponent: number, random: () => number): (() => number) => {
  const cdf = new Float64Array(keys);
  let total = 0;
  for (let rank = 0; rank < keys; rank += 1) {
    total += (rank + 1) ** -exponent;
    cdf[rank] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = keys - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cdf[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
};

const FIRST_NAMES = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Radia',
  'Leslie',
] as const;
const CITIES = ['Dublin', 'Lisbon', 'Ohio', 'Oregon', 'Frankfurt', 'Tokyo', 'Sydney', 'Paris'] as const;
const TIERS = ['free', 'pro', 'team', 'enterprise'] as const;
const TAGS = ['beta', 'vip', 'churn-risk', 'newsletter', 'mobile', 'web', 'api'] as const;

const digits = (random: () => number, count: number): string => {
  let text = '';
  for (let i = 0; i < count; i += 1) text += String(Math.floor(random() * 10));
  return text;
};

const pick = <T>(values: readonly T[], random: () => number): T =>
  values[Math.floor(random() * values.length)]!;

/**
 * A realistic application item of 12 attributes (~350 bytes): strings, a string set, a binary, a
 * boolean, a map, a list, small numbers and a 38-significant-digit number that must stay exact.
 * Binary is a `Uint8Array`, numbers are decimal strings; no dynasync metadata.
 */
export const syntheticItem = (pk: string, random: () => number): Item => {
  const name = pick(FIRST_NAMES, random);
  const avatar = new Uint8Array(48);
  for (let i = 0; i < avatar.length; i += 1) avatar[i] = Math.floor(random() * 256);
  const tags = new Set([pick(TAGS, random), pick(TAGS, random), pick(TAGS, random)]);
  const scores: AttributeValue[] = [
    { N: digits(random, 3) },
    { N: digits(random, 3) },
    { N: `-${digits(random, 2)}.5` },
  ];
  return {
    pk: { S: pk },
    name: { S: `${name} ${pick(['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov'], random)}` },
    email: { S: `${name.toLowerCase()}.${digits(random, 6)}@example.com` },
    tier: { S: pick(TIERS, random) },
    points: { N: String(Math.floor(random() * 100_000)) },
    // 38 significant digits: never representable as a JS number.
    balance: { N: `${1 + Math.floor(random() * 9)}${digits(random, 19)}.${digits(random, 18)}` },
    tags: { SS: [...tags] },
    avatar: { B: avatar },
    active: { BOOL: random() < 0.8 },
    address: {
      M: {
        street: { S: `${digits(random, 3)} Main St` },
        city: { S: pick(CITIES, random) },
        zip: { S: digits(random, 5) },
      },
    },
    scores: { L: scores },
    updatedAtMs: { N: String(Date.now()) },
  };
};

/** Options of {@link syntheticStream}. */
export interface SyntheticStreamOptions {
  /** Number of stream records. */
  readonly count: number;
  readonly keys: KeyDistribution;
  /** Region of the source stream (the versions' origin). @default "eu-west-1" */
  readonly region?: string;
  /** Seed of the item contents and key choice. @default 1 */
  readonly seed?: number;
  /** Metadata prefix. @default "_ds_" */
  readonly prefix?: string;
  /** First sequence number; each record adds one. @default 10^20 + 1 (21 digits) */
  readonly firstSequence?: bigint;
}

/** One synthetic source change: the stream record and what a replicator writes at a peer for it. */
export interface SyntheticChange {
  readonly record: StreamRecord;
  /** The new image with the version and the replicated flag, exactly as the replicator writes it. */
  readonly peerItem: Item;
  readonly versionText: string;
}

/** A synthetic stream, in stream order. */
export interface SyntheticStream {
  readonly changes: readonly SyntheticChange[];
  readonly records: readonly StreamRecord[];
  /** Distinct keys across the whole stream. */
  readonly distinctKeys: number;
}

const randomHex = (random: () => number, length: number): string => {
  let text = '';
  for (let i = 0; i < length; i += 1) text += Math.floor(random() * 16).toString(16);
  return text;
};

/**
 * Generates Lambda-shaped DynamoDB stream records (`NEW_AND_OLD_IMAGES`) as the client helper's
 * writes would produce them: each new image is stamped with a hybrid-logical-clock version, so
 * versions grow in stream order (also per key). The first record of a key is an `INSERT`; later ones
 * are `MODIFY` with the previous image as `OldImage`. Binary is base64, numbers are strings,
 * `ApproximateCreationDateTime` is epoch seconds and sequence numbers are increasing digit strings.
 *
 * ```
 * uniform:  k1 INSERT v1   k2 INSERT v2   k3 INSERT v3 …          (no key twice: nothing coalesces)
 * zipf:     k1 INSERT v1   k7 INSERT v2   k1 MODIFY v3 (old v1) … (hot keys repeat: coalescing)
 * ```
 */
export const syntheticStream = (options: SyntheticStreamOptions): SyntheticStream => {
  const region = options.region ?? 'eu-west-1';
  const random = seededRandom(options.seed ?? 1);
  const names = metadataNamesFor(options.prefix ?? '_ds_');
  const clock = new HybridLogicalClock(region);
  const arn = `arn:aws:dynamodb:${region}:123456789012:table/bench/stream/2024-01-01T00:00:00.000`;
  const distribution = options.keys;
  const nextRank =
    distribution.type === 'zipf' ? zipfSampler(distribution.keys, distribution.exponent, random) : undefined;
  const usedKeys = new Set<string>();
  const latest = new Map<string, WireItem>();
  let sequence = options.firstSequence ?? 10n ** 20n + 1n;

  const nextKey = (): string => {
    if (nextRank !== undefined) return `user#${String(nextRank()).padStart(6, '0')}`;
    for (;;) {
      const key = `user#${randomHex(random, 16)}`;
      if (!usedKeys.has(key)) return key;
    }
  };

  const changes: SyntheticChange[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const pk = nextKey();
    usedKeys.add(pk);
    const version = clock.now();
    const versionText = encodeVersion(version);
    const image: Item = { ...syntheticItem(pk, random), [names.version]: { S: versionText } };
    const newImage = encodeItem(image);
    const oldImage = latest.get(pk);
    latest.set(pk, newImage);
    const keys: WireItem = { pk: { S: pk } };
    const record: StreamRecord = {
      eventID: randomHex(random, 32),
      eventName: oldImage === undefined ? 'INSERT' : 'MODIFY',
      eventSource: 'aws:dynamodb',
      awsRegion: region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(version.physicalMs / 1000),
        Keys: keys,
        NewImage: newImage,
        ...(oldImage === undefined ? {} : { OldImage: oldImage }),
        SequenceNumber: String(sequence),
        SizeBytes: 400 + (oldImage === undefined ? 0 : 400),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: arn,
    };
    sequence += 1n;
    changes.push({ record, peerItem: { ...image, [names.replicated]: { BOOL: true } }, versionText });
  }
  return { changes, records: changes.map((change) => change.record), distinctKeys: usedKeys.size };
};

/** Splits records into consecutive batches of at most `size`, as a stream event source mapping would. */
export const batchesOf = <T>(records: readonly T[], size: number): T[][] => {
  const batches: T[][] = [];
  for (let start = 0; start < records.length; start += size) batches.push(records.slice(start, start + size));
  return batches;
};
