import { readFile } from 'node:fs/promises';
import { candidateLineOf } from '../../verify/_internals/candidateLine.js';
import { comparePartitions } from '../../verify/_internals/comparePartitions.js';
import { type Side, spillName } from '../../verify/_internals/pageSpiller.js';
import { SpillFiles } from '../../verify/_internals/SpillFiles.js';
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
  const { dir, partitions, counts, signal } = input;
  let candidates = 0;
  const file = SpillFiles.create(dir, 'candidates', 1);
  const spillSet = (side: Side) => ({
    partitions,
    counts: counts[side],
    path: (partition: number) => SpillFiles.pathOf(dir, spillName(side), partition),
  });
  const compared = await comparePartitions({
    dir,
    source: spillSet('source'),
    target: spillSet('target'),
    maxEntriesInMemory: input.maxEntriesInMemory,
    onDifferent: (sourceLine, targetLine) => {
      const line = candidateLineOf(sourceLine, targetLine);
      if (line === undefined) return;
      candidates += 1;
      file.add(0, line);
    },
    flush: () => file.flush(),
    ...(signal === undefined ? {} : { signal }),
  });
  await file.close();
  await store.put(input.candidatesKey, candidates === 0 ? '' : await readFile(file.path(0)));
  return {
    candidates,
    splits: compared.splits,
    peakEntries: compared.peakEntries,
    spilledBytes: compared.spilledBytes + file.bytes,
  };
};
