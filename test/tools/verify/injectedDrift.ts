import fc from 'fast-check';
import { decodeItem } from '../../../core/codec.js';
import type { Item } from '../../../core/types.js';
import type { Difference } from '../../../tools/verify/types.js';
import { wireAttributeValue } from '../../helpers/arbitraries.js';
import { appItem, names, replicaOf, tombstone, versionAt } from './verifyHarness.js';

/** Ways a replica drifts (or seems to), and what verify must say about each. */
export const Drifts = {
  /** Deleted from the replica → missing. */
  deleteInTarget: 'deleteInTarget',
  /** An attribute changed, added or removed in the replica → different [name]. */
  modifyInTarget: 'modifyInTarget',
  /** A key only the replica holds → extra. */
  addToTarget: 'addToTarget',
  /** Metadata: the replica's version replaced by an older one → different [_ds_v]. */
  alterVersion: 'alterVersion',
  /** Metadata: the replica's version removed → different [_ds_v]. */
  dropVersion: 'dropVersion',
  /** Metadata: the replica turned into a tombstone → missing. */
  tombstoneInTarget: 'tombstoneInTarget',
  /** Deleted at the source (tombstone), still live in the replica → extra. */
  deleteAtSource: 'deleteAtSource',
  /** Not drift: the replication marker removed. */
  dropMarker: 'dropMarker',
  /** Not drift: a tombstone at the source and nothing in the replica. */
  tombstoneGone: 'tombstoneGone',
} as const;
export type Drift = (typeof Drifts)[keyof typeof Drifts];

export interface Scenario {
  readonly count: number;
  readonly payloads: ReadonlyArray<{ readonly index: number; readonly value: Item[string] }>;
  readonly drifts: ReadonlyArray<{ readonly index: number; readonly drift: Drift; readonly variant: number }>;
  readonly segments: number;
}

export const scenario = (): fc.Arbitrary<Scenario> =>
  fc.integer({ min: 40, max: 250 }).chain((count) =>
    fc.record({
      count: fc.constant(count),
      payloads: fc.array(
        fc.record({
          index: fc.integer({ min: 0, max: count - 1 }),
          value: wireAttributeValue(2).map((wire) => decodeItem({ v: wire }).v!),
        }),
        { maxLength: 10 },
      ),
      drifts: fc.uniqueArray(
        fc.record({
          index: fc.integer({ min: 0, max: count - 1 }),
          drift: fc.constantFrom(...Object.values(Drifts)),
          variant: fc.integer({ min: 0, max: 2 }),
        }),
        { maxLength: 25, selector: (entry) => entry.index },
      ),
      segments: fc.integer({ min: 1, max: 5 }),
    }),
  );

export interface Expected {
  readonly kind: string;
  readonly pk: string;
  readonly attributes: readonly string[];
}

/** Builds both tables' items and the differences verify must report, from a scenario. */
export const build = (input: Scenario): { source: Item[]; target: Item[]; expected: Expected[] } => {
  const source = new Map<string, Item>();
  const target = new Map<string, Item>();
  const expected: Expected[] = [];
  for (let i = 0; i < input.count; i += 1) {
    const item = appItem(`k${i}`, versionAt(1_700_000_000_000 + i * 10), {
      status: { S: 'open' },
      total: { N: String(i) },
    });
    source.set(`k${i}`, item);
  }
  for (const { index, value } of input.payloads)
    source.set(`k${index}`, { ...source.get(`k${index}`)!, payload: value });
  for (const [pk, item] of source) target.set(pk, replicaOf(item));
  for (const { index, drift, variant } of input.drifts) {
    const pk = `k${index}`;
    const replica = target.get(pk)!;
    const version = source.get(pk)![names.version]!;
    switch (drift) {
      case Drifts.deleteInTarget:
        target.delete(pk);
        expected.push({ kind: 'missing', pk, attributes: [] });
        break;
      case Drifts.modifyInTarget: {
        if (variant === 0) target.set(pk, { ...replica, status: { S: 'closed' } });
        if (variant === 1) target.set(pk, { ...replica, note: { S: 'added in the replica' } });
        if (variant === 2) {
          const { total: _total, ...rest } = replica;
          target.set(pk, rest);
        }
        expected.push({ kind: 'different', pk, attributes: [['status', 'note', 'total'][variant]!] });
        break;
      }
      case Drifts.addToTarget:
        target.set(`x${index}`, replicaOf(appItem(`x${index}`, versionAt(1_600_000_000_000 + index))));
        expected.push({ kind: 'extra', pk: `x${index}`, attributes: [] });
        break;
      case Drifts.alterVersion:
        target.set(pk, { ...replica, [names.version]: { S: versionAt(1_600_000_000_000, variant) } });
        expected.push({ kind: 'different', pk, attributes: [names.version] });
        break;
      case Drifts.dropVersion: {
        const { [names.version]: _version, ...rest } = replica;
        target.set(pk, rest);
        expected.push({ kind: 'different', pk, attributes: [names.version] });
        break;
      }
      case Drifts.tombstoneInTarget:
        target.set(pk, replicaOf(tombstone(pk, (version as { S: string }).S)));
        expected.push({ kind: 'missing', pk, attributes: [] });
        break;
      case Drifts.deleteAtSource:
        source.set(pk, tombstone(pk, versionAt(1_750_000_000_000 + index)));
        expected.push({ kind: 'extra', pk, attributes: [] });
        break;
      case Drifts.dropMarker: {
        const { [names.replicated]: _marker, ...rest } = replica;
        target.set(pk, rest);
        break;
      }
      case Drifts.tombstoneGone:
        source.set(pk, tombstone(pk, versionAt(1_750_000_000_000 + index)));
        target.delete(pk);
        break;
    }
  }
  return { source: [...source.values()], target: [...target.values()], expected };
};

export const rows = (differences: readonly Difference[]) =>
  differences.map((difference) => ({
    kind: difference.kind,
    pk: (difference.key.pk as { S: string }).S,
    attributes: [...difference.attributes],
  }));

export const byKey = (a: Expected, b: Expected) => (a.pk < b.pk ? -1 : a.pk > b.pk ? 1 : 0);
