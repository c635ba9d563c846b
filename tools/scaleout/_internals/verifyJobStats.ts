import type { Side } from '../../verify/_internals/pageSpiller.js';

/** A figure per table. */
export type Pair = { source: number; target: number };

/** What one invocation of a segment read, stored beside its part (`part-<n>/stats.json`). */
export interface ScanStats {
  scanned: Pair;
  live: Pair;
  tombstones: Pair;
  /** Lines per partition and side of the part. */
  counts: Record<Side, number[]>;
  rejected: Record<string, number>;
  consumed: { source: number; target: number; estimated: boolean };
  bytes: number;
  endedAtMs: number;
}

/** What comparing spill files cost (a partition's `stats.json`, and part of a segment's). */
export interface CompareStats {
  candidates: number;
  splits: number;
  peakEntries: number;
  spilledBytes: number;
}

/** A segment's or partition's figures once done (`stats.json`). */
export interface DoneStats extends ScanStats, CompareStats {
  /** Parts the segment's invocations wrote (shuffle, or more than one invocation). */
  parts: number;
}

/** Nothing compared yet. */
export const emptyCompareStats = (): CompareStats => ({
  candidates: 0,
  splits: 0,
  peakEntries: 0,
  spilledBytes: 0,
});

const addPair = (a: Pair, b: Pair): Pair => ({ source: a.source + b.source, target: a.target + b.target });

const addCounts = (a: Record<string, number>, b: Record<string, number>): Record<string, number> => {
  const sum = { ...a };
  for (const [code, count] of Object.entries(b)) sum[code] = (sum[code] ?? 0) + count;
  return sum;
};

/** Nothing read yet, over `partitions` partitions. */
export const emptyStats = (partitions: number): ScanStats => ({
  scanned: { source: 0, target: 0 },
  live: { source: 0, target: 0 },
  tombstones: { source: 0, target: 0 },
  counts: { source: new Array<number>(partitions).fill(0), target: new Array<number>(partitions).fill(0) },
  rejected: {},
  consumed: { source: 0, target: 0, estimated: false },
  bytes: 0,
  endedAtMs: 0,
});

/** The figures of two reads together (partition counts by `a`'s partitions; the later end). */
export const addStats = (a: ScanStats, b: ScanStats): ScanStats => ({
  scanned: addPair(a.scanned, b.scanned),
  live: addPair(a.live, b.live),
  tombstones: addPair(a.tombstones, b.tombstones),
  counts: {
    source: a.counts.source.map((count, p) => count + (b.counts.source[p] ?? 0)),
    target: a.counts.target.map((count, p) => count + (b.counts.target[p] ?? 0)),
  },
  rejected: addCounts(a.rejected, b.rejected),
  consumed: {
    source: a.consumed.source + b.consumed.source,
    target: a.consumed.target + b.consumed.target,
    estimated: a.consumed.estimated || b.consumed.estimated,
  },
  bytes: a.bytes + b.bytes,
  endedAtMs: Math.max(a.endedAtMs, b.endedAtMs),
});
