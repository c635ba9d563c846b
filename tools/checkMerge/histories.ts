import fc from 'fast-check';
import { readMergeMetadata } from '../../conflict/merge/itemState.js';
import { decideMerge, mergeItems } from '../../conflict/merge/mergeItems.js';
import { type MergeWrite, stampMergeWrite } from '../../conflict/merge/stampMergeWrite.js';
import { type MergeNames, type MergeSpec, mergeNamesFor } from '../../conflict/merge/types.js';
import { encodeVersion } from '../../conflict/version.js';
import type { AttributeValue, Item } from '../../core/types.js';

/** Regions of generated histories. */
export const HISTORY_REGIONS = ['eu-west-1', 'us-east-1', 'ap-south-1'] as const;
/** The one key every generated history writes. */
export const HISTORY_KEYS: Item = { pk: { S: 'k1' } };
/** Metadata names of generated histories (default prefix). */
export const historyNames: MergeNames = mergeNamesFor('_ds_');
/** A spec exercising every built-in: `a`, `b` per-attribute LWW, `n` a counter, `s` a set, the rest `default`. */
export const fullSpec = (defaultMerge: MergeSpec['default'] = 'lww'): MergeSpec => ({
  attributes: { n: 'counter', s: 'set' },
  default: defaultMerge,
});

/** One step of a history: a write in a region, or one region's state delivered to another. */
export type HistoryStep =
  | { readonly kind: 'write'; readonly region: number; readonly write: MergeWrite }
  | { readonly kind: 'sync'; readonly from: number; readonly to: number };

const value = (): fc.Arbitrary<AttributeValue> =>
  fc.oneof(
    fc.string({ maxLength: 3 }).map((S) => ({ S })),
    fc.integer({ min: -50, max: 50 }).map((n) => ({ N: String(n) })),
    fc.boolean().map((BOOL) => ({ BOOL })),
  );

const elements = (): fc.Arbitrary<AttributeValue> =>
  fc
    .uniqueArray(fc.constantFrom('red', 'green', 'blue', 'gold'), { minLength: 1, maxLength: 3 })
    .map((SS) => ({ SS }));

const userItem = (): fc.Arbitrary<Item> =>
  fc
    .record(
      {
        a: value(),
        b: value(),
        x: value(),
        n: fc.integer({ min: -9, max: 9 }).map((n) => ({ N: String(n) })),
        s: elements(),
      },
      { requiredKeys: [] },
    )
    .map((item) => item as Item);

/** A random application write touching the attributes of {@link fullSpec}. */
export const mergeWriteArbitrary = (): fc.Arbitrary<MergeWrite> =>
  fc.oneof(
    { weight: 2, arbitrary: userItem().map((item): MergeWrite => ({ type: 'put', item })) },
    {
      weight: 5,
      arbitrary: fc
        .record(
          {
            set: fc.record({ a: value(), b: value(), x: value() }, { requiredKeys: [] }),
            remove: fc.subarray(['a', 'b', 'x']),
            add: fc.record({ n: fc.integer({ min: -5, max: 5 }).map(String) }, { requiredKeys: [] }),
            addToSet: fc.record({ s: elements() }, { requiredKeys: [] }),
            removeFromSet: fc.record({ s: elements() }, { requiredKeys: [] }),
          },
          { requiredKeys: [] },
        )
        .map((update): MergeWrite => {
          const remove = (update.remove ?? []).filter((name) => update.set?.[name as 'a'] === undefined);
          return { type: 'update', ...update, remove } as MergeWrite;
        }),
    },
    { weight: 1, arbitrary: fc.constant<MergeWrite>({ type: 'delete' }) },
  );

/** A history over three regions: writes and state deliveries in any order. */
export const historyArbitrary = (maxLength = 12): fc.Arbitrary<HistoryStep[]> =>
  fc.array(
    fc.oneof(
      fc
        .record({ region: fc.nat(2), write: mergeWriteArbitrary() })
        .map(({ region, write }): HistoryStep => ({ kind: 'write', region, write })),
      fc
        .record({ from: fc.nat(2), to: fc.nat(2) })
        .filter(({ from, to }) => from !== to)
        .map(({ from, to }): HistoryStep => ({ kind: 'sync', from, to })),
    ),
    { maxLength },
  );

/**
 * Delivers a state as the replicator does: apply when it dominates, skip when stale, else merge.
 * `merge` defaults to the built-in {@link mergeItems} of `spec`.
 */
export const deliverState = (
  stored: Item | undefined,
  incoming: Item,
  spec: MergeSpec,
  merge: (local: Item, remote: Item) => Item = (local, remote) =>
    mergeItems(local, remote, spec, historyNames),
): Item => {
  const decision = decideMerge(
    readMergeMetadata(incoming, historyNames).clock,
    stored === undefined ? undefined : readMergeMetadata(stored, historyNames).clock,
  );
  if (decision === 'apply' || stored === undefined) return incoming;
  if (decision === 'stale') return stored;
  return merge(stored, incoming);
};

/**
 * Runs a history and returns the three regions' item states (undefined: never written there).
 * Versions are HLC texts from one increasing step counter, so every write's version is newer than
 * everything its region stored (as the client helper guarantees).
 */
export const runHistory = (
  steps: readonly HistoryStep[],
  spec: MergeSpec,
  merge?: (local: Item, remote: Item) => Item,
): Array<Item | undefined> => {
  const states: Array<Item | undefined> = HISTORY_REGIONS.map(() => undefined);
  steps.forEach((step, index) => {
    if (step.kind === 'write') {
      const region = HISTORY_REGIONS[step.region]!;
      const physicalMs = 1_700_000_000_000 + index;
      states[step.region] = stampMergeWrite(states[step.region], HISTORY_KEYS, step.write, {
        region,
        version: encodeVersion({ physicalMs, logical: 0, origin: region }),
        expiresAt: String(Math.floor(physicalMs / 1000) + 604_800),
        spec,
        names: historyNames,
      });
    } else {
      const incoming = states[step.from];
      if (incoming !== undefined) states[step.to] = deliverState(states[step.to], incoming, spec, merge);
    }
  });
  return states;
};

/**
 * Three reachable states of one item (each region's, after a random history). With `merge`, concurrent
 * deliveries are merged by it (the states a user merge meets are the ones it made itself).
 */
export const reachableStates = (
  spec: MergeSpec,
  maxLength = 12,
  merge?: (local: Item, remote: Item) => Item,
): fc.Arbitrary<[Item, Item, Item]> =>
  fc.tuple(mergeWriteArbitrary(), historyArbitrary(maxLength)).map(([first, steps]) => {
    // A common start: written in the first region and delivered everywhere, then anything goes.
    const start: HistoryStep[] = [
      { kind: 'write', region: 0, write: first },
      { kind: 'sync', from: 0, to: 1 },
      { kind: 'sync', from: 0, to: 2 },
    ];
    const [a, b, c] = runHistory([...start, ...steps], spec, merge);
    return [a!, b!, c!];
  });
