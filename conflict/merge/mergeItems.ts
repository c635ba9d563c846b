import type { AttributeValue, Item } from '../../core/types.js';
import { ClockOrders, clockCovers, compareClocks, joinClocks, type VectorClock } from '../vectorClock.js';
import { compareText, counterValue, setFromKeys } from './_internals/derive.js';
import { isMetadataName, type MergeMetadata, readMergeMetadata, withMergeMetadata } from './itemState.js';
import { type MergeDecision, MergeDecisions, type MergeNames, type MergeSpec } from './types.js';

/**
 * What to do with an incoming version given the stored one, by their vector clocks: `apply` when the
 * incoming has seen everything stored (or nothing is stored), `stale` when the stored one has seen the
 * incoming (duplicates, redeliveries, out-of-order arrivals), `merge` when neither saw the other.
 *
 * ```
 * stored {eu:2}        incoming {eu:3}        → apply
 * stored {eu:3,us:1}   incoming {eu:3}        → stale
 * stored {eu:2,us:1}   incoming {eu:3}        → merge (us:1 and eu:3 are concurrent)
 * ```
 */
export const decideMerge = (incoming: VectorClock, stored: VectorClock | undefined): MergeDecision => {
  if (stored === undefined) return MergeDecisions.apply;
  switch (compareClocks(incoming, stored)) {
    case ClockOrders.after:
      return MergeDecisions.apply;
    case ClockOrders.concurrent:
      return MergeDecisions.merge;
    default:
      return MergeDecisions.stale;
  }
};

const union = (...lists: ReadonlyArray<Iterable<string>>): string[] => {
  const all = new Set<string>();
  for (const list of lists) for (const item of list) all.add(item);
  return [...all].sort();
};

const coveredBy = (clock: VectorClock, dot: string): boolean => {
  const at = dot.lastIndexOf(':');
  return clockCovers(clock, dot.slice(0, at), dot.slice(at + 1));
};

/** The strategy of an attribute under a spec. */
export const strategyOf = (spec: MergeSpec, name: string): 'lww' | 'counter' | 'set' | 'item' =>
  spec.attributes[name] ?? spec.default;

/**
 * The built-in merge: joins two states of one item into the state that includes both. It is a join
 * (commutative, associative, idempotent) on every state the client helper and the replicator produce,
 * which is why replicas converge whatever the delivery order. Works on whole items, metadata included:
 *
 * - vector clock: pointwise maximum; version (`<prefix>v`): the larger;
 * - `lww` attributes: the side whose attribute version (`<prefix>av.<name>`) is larger, value or absence;
 * - `counter` attributes: per region, the contribution of the side that has seen more of that region's
 *   writes (larger clock entry); the value is the exact sum, so concurrent increments add up and a
 *   redelivered state adds nothing;
 * - `set` attributes: an element survives when both sides hold it, or one side holds an add (dot) the
 *   other has not seen: add-wins. A remove wins only over the adds it saw;
 * - `item` attributes and attributes with no version (keys, items written before `merge`): from the side
 *   with the larger item version (whole-item LWW);
 * - the delete marker is a per-attribute LWW register: a delete removes every attribute it saw, and a
 *   concurrent write that is newer keeps what it wrote (and revives the item).
 *
 * `<prefix>rep` is not part of the state: the result has none (the replicator sets it).
 */
export const mergeItems = (local: Item, remote: Item, spec: MergeSpec, names: MergeNames): Item => {
  const l = readMergeMetadata(local, names);
  const r = readMergeMetadata(remote, names);
  const itemSide = compareText(l.version, r.version) >= 0 ? local : remote;
  const out: Record<string, AttributeValue> = {};
  const attributeVersions: Record<string, string> = {};
  const counters: Record<string, Record<string, string>> = {};
  const setDots: Record<string, Record<string, readonly string[]>> = {};

  const fromItemSide = (name: string) => {
    const value = itemSide[name];
    if (value !== undefined) out[name] = value;
  };
  const lwwRegister = (name: string, copy: readonly string[]) => {
    const lv = l.attributeVersions[name];
    const rv = r.attributeVersions[name];
    if (lv === undefined && rv === undefined) {
      for (const n of copy) fromItemSide(n);
      return;
    }
    const side = compareText(lv, rv) >= 0 ? local : remote;
    attributeVersions[name] = (compareText(lv, rv) >= 0 ? lv : rv)!;
    for (const n of copy) {
      const value = side[n];
      if (value !== undefined) out[n] = value;
    }
  };

  const attributeNames = union(
    Object.keys(local),
    Object.keys(remote),
    Object.keys(l.attributeVersions),
    Object.keys(r.attributeVersions),
    Object.keys(l.counters),
    Object.keys(r.counters),
    Object.keys(l.setDots),
    Object.keys(r.setDots),
  ).filter((name) => !isMetadataName(name, names));

  for (const name of attributeNames) {
    const strategy = strategyOf(spec, name);
    if (strategy === 'counter' && (l.counters[name] !== undefined || r.counters[name] !== undefined)) {
      counters[name] = joinCounter(l, r, name);
      out[name] = counterValue(counters[name], name);
    } else if (strategy === 'set' && (l.setDots[name] !== undefined || r.setDots[name] !== undefined)) {
      setDots[name] = joinSet(l, r, name);
      const value = setFromKeys(Object.keys(setDots[name]));
      if (value !== undefined) out[name] = value;
    } else if (strategy === 'lww') {
      lwwRegister(name, [name]);
    } else {
      fromItemSide(name);
    }
  }
  lwwRegister(names.deleted, [names.deleted, names.expires]);

  const metadata: MergeMetadata = {
    clock: joinClocks(l.clock, r.clock),
    version: compareText(l.version, r.version) >= 0 ? l.version : r.version,
    attributeVersions,
    counters,
    setDots,
  };
  return withMergeMetadata(out, metadata, names);
};

const joinCounter = (l: MergeMetadata, r: MergeMetadata, name: string): Record<string, string> => {
  const left = l.counters[name] ?? {};
  const right = r.counters[name] ?? {};
  const joined: Record<string, string> = {};
  for (const region of union(Object.keys(left), Object.keys(right))) {
    const lc = BigInt(l.clock[region] ?? '0');
    const rc = BigInt(r.clock[region] ?? '0');
    const lv = left[region];
    const rv = right[region];
    // The side that has seen more of this region's writes holds its newer contribution.
    const value = lc > rc ? lv : rc > lc ? rv : compareText(lv, rv) >= 0 ? lv : rv;
    if (value !== undefined) joined[region] = value;
  }
  return joined;
};

const joinSet = (l: MergeMetadata, r: MergeMetadata, name: string): Record<string, readonly string[]> => {
  const left = l.setDots[name] ?? {};
  const right = r.setDots[name] ?? {};
  const joined: Record<string, readonly string[]> = {};
  for (const element of union(Object.keys(left), Object.keys(right))) {
    const ld = left[element] ?? [];
    const rd = right[element] ?? [];
    const kept = union(
      ld.filter((dot) => rd.includes(dot)),
      ld.filter((dot) => !coveredBy(r.clock, dot)),
      rd.filter((dot) => !coveredBy(l.clock, dot)),
    );
    if (kept.length > 0) joined[element] = kept;
  }
  return joined;
};
