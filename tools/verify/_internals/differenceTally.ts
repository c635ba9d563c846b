import { type Difference, type DifferenceKind, DifferenceKinds } from '../types.js';

/** Counts the settle phase's differences by kind and keeps the report's sample (drift first). */
export interface DifferenceTally {
  readonly counts: Readonly<Record<DifferenceKind, number>>;
  /** The settle phase's `emit`: counts and samples a difference, then hands it to `onDifference`. */
  emit(difference: Difference): Promise<void>;
  /** Up to `sampleSize` differences: drift, then settled ones. */
  sample(): Difference[];
}

/** A tally of `sampleSize`; `onDifference` sees every difference (a file, `--output`). */
export const createDifferenceTally = (
  sampleSize: number,
  onDifference: (difference: Difference) => void | Promise<void>,
): DifferenceTally => {
  const counts: Record<DifferenceKind, number> = { missing: 0, extra: 0, different: 0, settled: 0 };
  const drift: Difference[] = [];
  const settled: Difference[] = [];
  return {
    counts,
    emit: async (difference) => {
      counts[difference.kind] += 1;
      const sample = difference.kind === DifferenceKinds.settled ? settled : drift;
      if (sample.length < sampleSize) sample.push(difference);
      await onDifference(difference);
    },
    sample: () => [...drift, ...settled].slice(0, sampleSize),
  };
};
