import { jobSpecKey } from '../planJob.js';

/** Store keys of a verify job. */
export const verifyJobKeys = (jobId: string) => {
  const job = `jobs/${jobId}`;
  const segment = (index: number) => `${job}/segments/${index}`;
  const partition = (index: number) => `${job}/partitions/${index}`;
  return {
    spec: jobSpecKey(jobId),
    segment,
    part: (index: number, part: number) => `${segment(index)}/part-${part}`,
    partition,
    /** The report ({@link VerifyReport}, JSON). */
    report: `${job}/report.json`,
    /** Every difference, one JSON line each (settled ones included). */
    differences: `${job}/differences.jsonl`,
    /** Every live source item the pipeline rejected, one JSON line each. */
    rejected: `${job}/rejected.jsonl`,
    settle: `${job}/settle.json`,
  };
};

/** The store keys of one verify job ({@link verifyJobKeys}). */
export type VerifyJobKeys = ReturnType<typeof verifyJobKeys>;
