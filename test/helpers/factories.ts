import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { encodeVersion, type Version } from '../../conflict/version.js';
import { decodeItem, encodeItem } from '../../core/codec.js';
import { metadataNamesFor } from '../../core/config/topology.js';
import { canonicalNumber } from '../../core/number.js';
import type { AttributeValue, Item, WireItem } from '../../core/types.js';
import type { DeadLetter, DeadLetterSink } from '../../replicator/deadLetter/types.js';
import { PeerWriter, type PeerWriterOptions } from '../../replicator/PeerWriter.js';
import type { PlanContext } from '../../replicator/planBatch.js';
import type { ReplicatorLogger } from '../../replicator/processBatch.js';
import type { StreamRecord } from '../../replicator/types.js';
import { compareBytes } from './laws.js';

/** Metadata attribute names with the default prefix `_ds_`. */
export const names = metadataNamesFor('_ds_');

let sequenceCounter = 10n ** 20n;

/** A fresh, increasing 21-digit stream sequence number. */
export const nextSequenceNumber = (): string => {
  sequenceCounter += 1n;
  return String(sequenceCounter);
};

/** Options of {@link streamRecord}; every field has a sensible default. */
export interface StreamRecordOptions {
  /** @default inferred: INSERT without oldImage, REMOVE without newImage, else MODIFY */
  readonly eventName?: string;
  /** @default `pk` (and `sk`) of newImage or oldImage, else `{ pk: { S: 'k1' } }` */
  readonly keys?: WireItem;
  readonly oldImage?: WireItem;
  readonly newImage?: WireItem;
  /** @default a fresh increasing sequence number */
  readonly sequenceNumber?: string;
  /** Stream time, epoch seconds (fractions carry milliseconds). @default 1_700_000_000 */
  readonly createdAt?: number;
  /** True when DynamoDB's TTL process removed the item. @default false */
  readonly ttl?: boolean;
  /** @default 'NEW_AND_OLD_IMAGES' */
  readonly streamViewType?: string;
  /** @default 'eu-west-1' */
  readonly region?: string;
}

const keysOf = (image: WireItem | undefined): WireItem | undefined => {
  if (image === undefined) return undefined;
  const keys: WireItem = {};
  for (const name of ['pk', 'sk']) {
    const value = image[name];
    if (value !== undefined) keys[name] = value;
  }
  return Object.keys(keys).length === 0 ? undefined : keys;
};

/**
 * A DynamoDB stream record in the JSON shape Lambda delivers.
 * @example
 * streamRecord({ newImage: { pk: { S: 'k1' }, n: { N: '1' } } }) // an INSERT of k1
 */
export const streamRecord = (options: StreamRecordOptions = {}): StreamRecord => {
  const { oldImage, newImage } = options;
  const eventName =
    options.eventName ?? (oldImage === undefined ? 'INSERT' : newImage === undefined ? 'REMOVE' : 'MODIFY');
  const region = options.region ?? 'eu-west-1';
  const sequenceNumber = options.sequenceNumber ?? nextSequenceNumber();
  const keys = options.keys ?? keysOf(newImage) ?? keysOf(oldImage) ?? { pk: { S: 'k1' } };
  return {
    eventID: `event-${sequenceNumber}`,
    eventName,
    eventSource: 'aws:dynamodb',
    eventSourceARN: `arn:aws:dynamodb:${region}:123456789012:table/Orders/stream/2024-01-01T00:00:00.000`,
    awsRegion: region,
    ...(options.ttl === true
      ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } }
      : {}),
    dynamodb: {
      ApproximateCreationDateTime: options.createdAt ?? 1_700_000_000,
      Keys: keys,
      ...(newImage === undefined ? {} : { NewImage: newImage }),
      ...(oldImage === undefined ? {} : { OldImage: oldImage }),
      SequenceNumber: sequenceNumber,
      SizeBytes: JSON.stringify([newImage, oldImage]).length,
      StreamViewType: options.streamViewType ?? 'NEW_AND_OLD_IMAGES',
    },
  };
};

/** Shorthand for a version. */
export const version = (physicalMs: number, logical = 0, origin = 'eu-west-1', sequence?: string): Version =>
  sequence === undefined ? { physicalMs, logical, origin } : { physicalMs, logical, origin, sequence };

/**
 * An image carrying dynasync metadata: the version, and optionally the replicated and deleted flags.
 * @example stamped({ pk: { S: 'k1' } }, version(1000), { replicated: true })
 */
export const stamped = (
  image: WireItem,
  at: Version | string,
  flags: { readonly replicated?: boolean; readonly deleted?: boolean } = {},
): WireItem => ({
  ...image,
  [names.version]: { S: typeof at === 'string' ? at : encodeVersion(at) },
  ...(flags.replicated === true ? { [names.replicated]: { BOOL: true } } : {}),
  ...(flags.deleted === true ? { [names.deleted]: { BOOL: true } } : {}),
});

/** The planning context of a test deployment. */
export const planContext = (overrides: Partial<PlanContext> = {}): PlanContext => ({
  region: 'eu-west-1',
  topology: 'active-active',
  names,
  tombstoneRetentionSeconds: 7 * 86_400,
  peers: ['us-east-1'],
  ...overrides,
});

/** An error shaped like the ones the AWS SDK throws. */
export const awsError = (
  name: string,
  options: {
    readonly status?: number;
    readonly message?: string;
    readonly retryable?: boolean;
    readonly code?: string;
  } = {},
): Error => {
  const error = new Error(options.message ?? name) as Error & Record<string, unknown>;
  error.name = name;
  if (options.status !== undefined) error.$metadata = { httpStatusCode: options.status };
  if (options.retryable === true) error.$retryable = { throttling: true };
  if (options.code !== undefined) error.code = options.code;
  return error;
};

/** Kinds of failure a {@link FakeTable} can be told to throw. */
export type FakeFailure = 'throttling' | 'provisioned' | 'internal' | 'network' | 'validation' | 'tooLarge';

const failureError = (kind: FakeFailure): Error => {
  switch (kind) {
    case 'throttling':
      return awsError('ThrottlingException', {
        status: 400,
        retryable: true,
        message: 'Rate of requests exceeds the allowed throughput.',
      });
    case 'provisioned':
      return awsError('ProvisionedThroughputExceededException', { status: 400, retryable: true });
    case 'internal':
      return awsError('InternalServerError', { status: 500 });
    case 'network':
      return awsError('Error', { code: 'ECONNRESET', message: 'socket hang up' });
    case 'validation':
      return awsError('ValidationException', {
        status: 400,
        message: 'One or more parameter values were invalid',
      });
    case 'tooLarge':
      return awsError('ValidationException', {
        status: 400,
        message: 'Item size has exceeded the maximum allowed size',
      });
  }
};

/** Canonical text of a key, as DynamoDB compares keys (numbers by value, binary by bytes). */
export const keyText = (keys: Item): string =>
  JSON.stringify(
    Object.keys(keys)
      .sort()
      .map((name) => {
        const value = keys[name]!;
        if ('N' in value) return [name, 'N', canonicalNumber(value.N)];
        if ('B' in value) return [name, 'B', Buffer.from(value.B).toString('base64')];
        if ('S' in value) return [name, 'S', value.S];
        return [name, '?', JSON.stringify(value)];
      }),
  );

const compareOperands = (
  left: AttributeValue | undefined,
  right: AttributeValue | undefined,
): number | undefined =>
  left !== undefined && right !== undefined && 'S' in left && 'S' in right
    ? compareBytes(left.S, right.S)
    : undefined;

const CLAUSE_EXISTS = /^attribute_(not_exists|exists)\((#\w+)\)$/;
const CLAUSE_COMPARE = /^(#\w+)\s*(<=|>=|<>|<|>|=)\s*(:\w+)$/;

/**
 * Evaluates the small subset of DynamoDB condition expressions dynasync uses:
 * `attribute_(not_)exists(#n)` and `#n <op> :v` on S values, joined by OR / AND (AND binds tighter).
 * Anything else throws, so a changed condition cannot pass unnoticed.
 */
export const evaluateCondition = (input: PutItemCommandInput, stored: Item | undefined): boolean => {
  const expression = input.ConditionExpression;
  if (expression === undefined) return true;
  const attributeNames = input.ExpressionAttributeNames ?? {};
  const attributeValues = (input.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
  const nameOf = (placeholder: string): string => {
    const name = attributeNames[placeholder];
    if (name === undefined) throw failureValidation(`unknown name placeholder ${placeholder}`);
    return name;
  };
  const clause = (text: string): boolean => {
    const exists = CLAUSE_EXISTS.exec(text);
    if (exists !== null) {
      const present = stored?.[nameOf(exists[2]!)] !== undefined;
      return exists[1] === 'exists' ? present : !present;
    }
    const comparison = CLAUSE_COMPARE.exec(text);
    if (comparison === null) throw failureValidation(`fake table cannot evaluate "${text}"`);
    const right = attributeValues[comparison[3]!];
    if (right === undefined) throw failureValidation(`unknown value placeholder ${comparison[3]}`);
    const order = compareOperands(stored?.[nameOf(comparison[1]!)], right);
    if (order === undefined) return false;
    switch (comparison[2]) {
      case '<':
        return order < 0;
      case '<=':
        return order <= 0;
      case '>':
        return order > 0;
      case '>=':
        return order >= 0;
      case '=':
        return order === 0;
      default:
        return order !== 0;
    }
  };
  return expression
    .trim()
    .split(/\s+OR\s+/)
    .some((alternative) => alternative.split(/\s+AND\s+/).every((part) => clause(part.trim())));
};

const failureValidation = (message: string): Error =>
  awsError('ValidationException', { status: 400, message });

/** Options of {@link FakeTable}. */
export interface FakeTableOptions {
  /** Region whose table this is; names the stream records. @default 'us-east-1' */
  readonly region?: string;
  /** @default 'Orders' */
  readonly tableName?: string;
  /** Key attribute names. @default ['pk'] */
  readonly keyNames?: readonly string[];
  /** Clock of the stream records, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/**
 * An in-memory DynamoDB table for one region: it applies `PutItemCommand` with its condition
 * (the LWW `attribute_not_exists(#v) OR #v < :v`), records every change on its own stream in the
 * Lambda wire shape, and can be told to fail.
 *
 * @example
 * const peer = new FakeTable({ region: 'us-east-1' });
 * const writer = new PeerWriter({ peers: { 'us-east-1': peer.target }, names });
 * peer.fail('throttling', { times: 2 });
 */
export class FakeTable {
  public readonly region: string;
  public readonly tableName: string;
  /** Every change, in order, as stream records. */
  public readonly stream: StreamRecord[] = [];
  /** Every PutItem input received, failed or not. */
  public readonly calls: PutItemCommandInput[] = [];
  /** The DynamoDB client to inject (a fake: only `send(PutItemCommand)`). */
  public readonly client: DynamoDBClient;
  private readonly items = new Map<string, Item>();
  private readonly rules: Array<{ kind: FakeFailure; remaining: number; key: string | undefined }> = [];
  private readonly keyNames: readonly string[];
  private readonly now: () => number;

  public constructor(options: FakeTableOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.tableName = options.tableName ?? 'Orders';
    this.keyNames = options.keyNames ?? ['pk'];
    this.now = options.now ?? Date.now;
    this.client = { send: (command: unknown) => this.send(command) } as unknown as DynamoDBClient;
  }

  /** The `{ client, tableName }` a PeerWriter takes. */
  public get target(): { client: DynamoDBClient; tableName: string } {
    return { client: this.client, tableName: this.tableName };
  }

  /** Fails the next `times` writes (of `key` only, when given) with `kind`. `times` may be Infinity. */
  public fail(
    kind: FakeFailure,
    options: { readonly times?: number; readonly key?: WireItem | Item } = {},
  ): void {
    const key = options.key === undefined ? undefined : this.keyOf(decodeItem(options.key));
    this.rules.push({ kind, remaining: options.times ?? 1, key });
  }

  /** The stored item with these keys. */
  public get(keys: WireItem | Item): Item | undefined {
    return this.items.get(this.keyOf(decodeItem(keys)));
  }

  /** Every stored item, by canonical key text, sorted. */
  public snapshot(): Record<string, Item> {
    return Object.fromEntries([...this.items.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** An application write: stored unconditionally and recorded on the stream. */
  public write(item: WireItem | Item): void {
    this.store(decodeItem(item));
  }

  /** An application delete, or with `byTtl` one by DynamoDB's TTL process. */
  public remove(keys: WireItem | Item, options: { readonly byTtl?: boolean } = {}): void {
    const key = this.keyOf(decodeItem(keys));
    const old = this.items.get(key);
    if (old === undefined) return;
    this.items.delete(key);
    this.record(old, undefined, options.byTtl === true);
  }

  private keyOf(item: Item): string {
    const keys: Record<string, AttributeValue> = {};
    for (const name of this.keyNames) {
      const value = item[name];
      if (value === undefined) throw failureValidation(`missing key attribute ${name}`);
      keys[name] = value;
    }
    return keyText(keys);
  }

  private store(item: Item): void {
    const key = this.keyOf(item);
    const old = this.items.get(key);
    this.items.set(key, item);
    this.record(old, item, false);
  }

  private record(oldImage: Item | undefined, newImage: Item | undefined, byTtl: boolean): void {
    const image = (newImage ?? oldImage)!;
    const keys = Object.fromEntries(this.keyNames.map((name) => [name, image[name]!]));
    this.stream.push(
      streamRecord({
        keys: encodeItem(keys),
        ...(oldImage === undefined ? {} : { oldImage: encodeItem(oldImage) }),
        ...(newImage === undefined ? {} : { newImage: encodeItem(newImage) }),
        createdAt: this.now() / 1000,
        ttl: byTtl,
        region: this.region,
      }),
    );
  }

  private async send(command: unknown): Promise<Record<string, never>> {
    await Promise.resolve();
    if (command instanceof GetItemCommand) {
      // Reads (the merge strategy's consistent read) see the stored item; failure rules apply to writes only.
      const stored = this.items.get(this.keyOf(decodeItem(command.input.Key)));
      return (stored === undefined ? {} : { Item: encodeItem(stored) }) as Record<string, never>;
    }
    if (!(command instanceof PutItemCommand))
      throw failureValidation('fake table: only PutItemCommand and GetItemCommand are supported');
    const input = command.input;
    this.calls.push(input);
    if (input.TableName !== this.tableName) throw awsError('ResourceNotFoundException', { status: 400 });
    let item: Item;
    try {
      item = decodeItem(input.Item);
    } catch (cause) {
      throw failureValidation(`invalid item: ${(cause as Error).message}`);
    }
    const key = this.keyOf(item);
    const rule = this.rules.find(
      (candidate) => candidate.remaining > 0 && (candidate.key === undefined || candidate.key === key),
    );
    if (rule !== undefined) {
      rule.remaining -= 1;
      throw failureError(rule.kind);
    }
    if (!evaluateCondition(input, this.items.get(key))) {
      throw awsError('ConditionalCheckFailedException', {
        status: 400,
        message: 'The conditional request failed',
      });
    }
    this.store(item);
    return {};
  }
}

/** A clock the tests move: `sleep` advances it instead of waiting. */
export class ManualClock {
  public constructor(public ms = 1_700_000_000_000) {}
  public readonly now = (): number => this.ms;
  public readonly sleep = async (ms: number): Promise<void> => {
    this.ms += ms;
  };
}

/** A dead-letter sink that keeps entries in memory, or fails when told to. */
export class MemoryDeadLetterSink implements DeadLetterSink {
  public readonly entries: DeadLetter[] = [];
  public failure: Error | undefined;

  public async send(entries: readonly DeadLetter[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.entries.push(...entries);
  }
}

/** A logger that drops everything. */
export const silentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as ReplicatorLogger;

/** A PeerWriter writing to fake tables, with sleeping stubbed out. */
export const fakeWriter = (
  tables: readonly FakeTable[],
  options: Partial<PeerWriterOptions> = {},
): PeerWriter =>
  new PeerWriter({
    peers: Object.fromEntries(tables.map((table) => [table.region, table.target])),
    names,
    sleep: async () => undefined,
    random: () => 0.5,
    ...options,
  });
