import { candidateLineOf } from './candidateLine.js';
import { type CompareStats, comparePartitions } from './comparePartitions.js';
import { type Side, spillName } from './pageSpiller.js';
import { SpillFiles } from './SpillFiles.js';

/** What {@link compareToCandidates} compares: closed spill files, `partitions` of them per side. */
export interface CandidatesInput {
  /** Folder of the spill files; the candidates file and split partitions go there too. */
  readonly dir: string;
  readonly partitions: number;
  /** Lines per partition and side. */
  readonly counts: Readonly<Record<Side, readonly number[]>>;
  readonly maxEntriesInMemory: number;
  /** The candidates file's name (one partition). */
  readonly fileName: string;
  readonly onPartition?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** The candidates (one closed file, one JSON line each) and what comparing cost. */
export interface CandidatesCompared {
  readonly file: SpillFiles;
  readonly candidates: number;
  readonly outcome: CompareStats;
}

/**
 * Compares both sides' spill files partition by partition; each key whose lines differ and whose
 * observations disagree becomes a candidate line (see `candidateLine.ts`) of one file.
 */
export const compareToCandidates = async (input: CandidatesInput): Promise<CandidatesCompared> => {
  const { dir } = input;
  const spillSet = (side: Side) => ({
    partitions: input.partitions,
    counts: input.counts[side],
    path: (partition: number) => SpillFiles.pathOf(dir, spillName(side), partition),
  });
  let candidates = 0;
  const file = SpillFiles.create(dir, input.fileName, 1);
  const outcome = await comparePartitions({
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
    ...(input.onPartition === undefined ? {} : { onPartition: input.onPartition }),
    ...(input.signal === undefined ? {} : { signal: input.signal }),
  });
  await file.close();
  return { file, candidates, outcome };
};
