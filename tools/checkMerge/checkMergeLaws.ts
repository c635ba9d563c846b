import fc from 'fast-check';
import { mergeItems } from '../../conflict/merge/mergeItems.js';
import type { MergeSpec } from '../../conflict/merge/types.js';
import { encodeItem } from '../../core/codec.js';
import { itemsEqual } from '../../core/equality.js';
import type { Item, WireItem } from '../../core/types.js';
import { fullSpec, historyNames, reachableStates } from './histories.js';

/** The laws a merge must satisfy for replicas to converge whatever the delivery order. */
export const MergeLaws = {
  /** `merge(a, a) = a`: a redelivered or duplicated state changes nothing. */
  idempotent: 'idempotent',
  /** `merge(a, b) = merge(b, a)`: the two regions of a conflict, each merging the other's write, agree. */
  commutative: 'commutative',
  /** `merge(merge(a, b), c) = merge(a, merge(b, c))`: three regions agree whatever order writes arrive in. */
  associative: 'associative',
} as const;
export type MergeLaw = (typeof MergeLaws)[keyof typeof MergeLaws];

/** The outcome of {@link checkMergeLaws}: a value, never an exception for a broken law. */
export type CheckMergeReport =
  | { readonly ok: true; readonly runs: number; readonly seed: number }
  | {
      readonly ok: false;
      readonly law: MergeLaw;
      /** The shrunk counterexample: the item states (wire form) and both sides of the broken equation. */
      readonly counterexample: {
        readonly states: readonly WireItem[];
        readonly left: WireItem | string;
        readonly right: WireItem | string;
      };
      readonly seed: number;
      readonly path: string | undefined;
    };

/** Options of {@link checkMergeLaws}. */
export interface CheckMergeOptions {
  /** Runs per law. @default 200 */
  readonly numRuns?: number;
  /** fast-check seed, to replay a report. @default random */
  readonly seed?: number;
  /** The built-in spec whose writes generate the item states. @default {@link fullSpec} */
  readonly spec?: MergeSpec;
  /** What of an item the laws compare. @default the whole item, metadata included */
  readonly project?: (item: Item) => Item;
}

/** A merge of two whole item states (metadata included). */
export type StateMerge = (local: Item, remote: Item) => Item;

const attempt = (merge: StateMerge, a: Item, b: Item): Item | string => {
  try {
    return merge(a, b);
  } catch (error) {
    const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    const cause =
      error instanceof Error && error.cause !== undefined ? ` (cause: ${describe(error.cause)})` : '';
    return `threw ${describe(error)}${cause}`;
  }
};

const wire = (value: Item | string): WireItem | string =>
  typeof value === 'string' ? value : encodeItem(value);

/**
 * Checks a merge against the three laws with fast-check, on item states reachable by writes in three
 * regions and deliveries in any order (the states the replicator can actually hand a merge). Laws are
 * checked in the order idempotent, commutative, associative; the first one broken is reported with a
 * shrunk counterexample.
 * @example
 * const report = checkMergeLaws((a, b) => mergeItems(a, b, spec, names));
 * if (!report.ok) console.log(report.law, report.counterexample);
 */
export const checkMergeLaws = (merge: StateMerge, options: CheckMergeOptions = {}): CheckMergeReport => {
  const numRuns = options.numRuns ?? 200;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const spec = options.spec ?? fullSpec();
  // States evolve with the merge under test; where it throws, the built-in merge stands in (the law check reports it).
  const evolve = (local: Item, remote: Item): Item => {
    try {
      return merge(local, remote);
    } catch {
      return mergeItems(local, remote, spec, historyNames);
    }
  };
  const states = reachableStates(spec, 12, evolve);
  const project = options.project ?? ((item: Item) => item);
  const same = (left: Item | string, right: Item | string): boolean =>
    typeof left !== 'string' && typeof right !== 'string' && itemsEqual(project(left), project(right));
  const equations: Record<MergeLaw, (s: [Item, Item, Item]) => [Item | string, Item | string]> = {
    idempotent: ([a]) => [attempt(merge, a, a), a],
    commutative: ([a, b]) => [attempt(merge, a, b), attempt(merge, b, a)],
    associative: ([a, b, c]) => {
      const ab = attempt(merge, a, b);
      const bc = attempt(merge, b, c);
      return [
        typeof ab === 'string' ? ab : attempt(merge, ab, c),
        typeof bc === 'string' ? bc : attempt(merge, a, bc),
      ];
    },
  };
  for (const law of Object.values(MergeLaws)) {
    const details = fc.check(
      fc.property(states, (s) => {
        const [left, right] = equations[law](s);
        return same(left, right);
      }),
      { numRuns, seed },
    );
    if (details.failed && details.counterexample !== null) {
      const [s] = details.counterexample;
      const [left, right] = equations[law](s);
      return {
        ok: false,
        law,
        counterexample: {
          states: s.slice(0, law === 'idempotent' ? 1 : law === 'commutative' ? 2 : 3).map(encodeItem),
          left: wire(left),
          right: wire(right),
        },
        seed,
        path: details.counterexamplePath ?? undefined,
      };
    }
  }
  return { ok: true, runs: numRuns, seed };
};
