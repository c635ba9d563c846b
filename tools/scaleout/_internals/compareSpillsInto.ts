import { readFile } from 'node:fs/promises';
import { compareToCandidates } from '../../verify/_internals/compareToCandidates.js';
import type { Side } from '../../verify/_internals/pageSpiller.js';
import type { JobStore } from '../protocol.js';
import type { CompareStats } from './verifyJobStats.js';

/** Local spill files to compare and where their candidates go. */
export interface CompareSpillsInput {
  /** The folder of the spill files (`spillName(side)`, `partitions` of them per side). */
  readonly dir: string;
  readonly partitions: number;
  /** Lines per partition and side. */
  readonly counts: Record<Side, readonly number[]>;
  readonly maxEntriesInMemory: number;
  /** The store key the candidates (one JSON line each) are put at. */
  readonly candidatesKey: string;
  readonly signal?: AbortSignal | undefined;
}

/** Compares local spill files into a candidates object in the store. */
export const compareSpillsInto = async (
  store: JobStore,
  input: CompareSpillsInput,
): Promise<CompareStats> => {
  const { file, candidates, outcome } = await compareToCandidates({
    dir: input.dir,
    partitions: input.partitions,
    counts: input.counts,
    maxEntriesInMemory: input.maxEntriesInMemory,
    fileName: 'candidates',
    ...(input.signal === undefined ? {} : { signal: input.signal }),
  });
  await store.put(input.candidatesKey, candidates === 0 ? '' : await readFile(file.path(0)));
  return {
    candidates,
    splits: outcome.splits,
    peakEntries: outcome.peakEntries,
    spilledBytes: outcome.spilledBytes + file.bytes,
  };
};
