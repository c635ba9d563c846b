import { type MetadataNames, metadataNamesFor } from '../../core/config/topology.js';
import type { Item } from '../../core/types.js';
import type { VectorClock } from '../vectorClock.js';

/** How one attribute is merged when two regions wrote the item concurrently. */
export const AttributeMerges = {
  /** Per-attribute last-writer-wins: the attribute's own newest write wins (attribute-level versions). */
  lww: 'lww',
  /** A counter: concurrent increments add up (per-region contributions; redelivery never double counts). */
  counter: 'counter',
  /** A set (SS, NS, BS) with add-wins union: an element survives unless every add of it was seen removed. */
  set: 'set',
} as const;
export type AttributeMerge = (typeof AttributeMerges)[keyof typeof AttributeMerges];

/** What happens to attributes the config does not list. */
export const DefaultMerges = {
  /** Per-attribute last-writer-wins. */
  lww: 'lww',
  /** Whole-item last-writer-wins: all unlisted attributes come from the write with the newest version. */
  item: 'item',
} as const;
export type DefaultMerge = (typeof DefaultMerges)[keyof typeof DefaultMerges];

/** The built-in merge of a deployment: a strategy per attribute and one for the rest. */
export interface MergeSpec {
  /** Strategy per attribute name. @default {} */
  readonly attributes: Readonly<Record<string, AttributeMerge>>;
  /** Strategy of unlisted attributes. @default "lww" */
  readonly default: DefaultMerge;
}

/** Metadata names of the merge strategy: the LWW ones plus the vector clock and per-attribute state. */
export interface MergeNames extends MetadataNames {
  /** Vector clock, canonical text `region:n,region:n` (S). */
  readonly clock: string;
  /** Per-attribute versions: attribute name → HLC version text of its last write (M of S). */
  readonly attributeVersions: string;
  /** Counter contributions: attribute name → region → net contribution (M of M of N). */
  readonly counters: string;
  /** Set element dots: attribute name → element key → dots `region:n` of its live adds (M of M of SS). */
  readonly setDots: string;
}

/** The metadata names of the merge strategy for a prefix (`<prefix>vc`, `<prefix>av`, `<prefix>cn`, `<prefix>sd`). */
export const mergeNamesFor = (prefix: string): MergeNames => ({
  ...metadataNamesFor(prefix),
  clock: `${prefix}vc`,
  attributeVersions: `${prefix}av`,
  counters: `${prefix}cn`,
  setDots: `${prefix}sd`,
});

/** What a user merge is given besides the two items. */
export interface MergeContext {
  /** The item's key attributes. */
  readonly keys: Item;
  /** Vector clock of the stored (local) item. */
  readonly localClock: VectorClock;
  /** Vector clock of the incoming (remote) item. */
  readonly remoteClock: VectorClock;
  /** HLC version text of each side (the newest write it includes). */
  readonly localVersion: string;
  readonly remoteVersion: string;
  /** The region the merge runs in (the target). */
  readonly region: string;
}

/**
 * A merge of two concurrent versions of one item: exact AttributeValue maps *without* dynasync metadata
 * (key attributes included). It must be commutative, associative and idempotent (see docs/conflicts.md, "User merges and their laws"), or the
 * regions can end up with different items; `dynasync check-merge` tests those laws.
 */
export type MergeFunction = (local: Item, remote: Item, context: MergeContext) => Item;

/** How the replicator treats an incoming version against the stored one. */
export const MergeDecisions = {
  /** The incoming version has seen the stored one: write it as it is. */
  apply: 'apply',
  /** The stored version has seen the incoming one (or is it): skip. */
  stale: 'stale',
  /** Concurrent writes: merge them. */
  merge: 'merge',
} as const;
export type MergeDecision = (typeof MergeDecisions)[keyof typeof MergeDecisions];
