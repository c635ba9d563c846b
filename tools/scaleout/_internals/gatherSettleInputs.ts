import { VerifyErrorCodes, verifyError } from '../../verify/errors.js';
import type { JobStore } from '../protocol.js';
import { doneSegmentStats } from './doneSegmentStats.js';
import { getJson } from './jobStoreReads.js';
import type { VerifyJob } from './verifyJob.js';
import {
  addStats,
  type CompareStats,
  emptyCompareStats,
  emptyStats,
  type ScanStats,
} from './verifyJobStats.js';

/** What the settle task finds of the scan and compare tasks in the store. */
export interface SettleInputs {
  /** Every segment's scan figures, added up. */
  readonly scan: ScanStats;
  /** What comparing cost, every segment or partition together (`candidates` unused: 0). */
  readonly method: CompareStats;
  /** The candidates objects, one JSON line a candidate. */
  readonly candidateKeys: readonly string[];
  /** The rejections objects, one JSON line a rejection. */
  readonly rejectionKeys: readonly string[];
}

const addMethod = (method: CompareStats, stats: CompareStats): void => {
  method.splits += stats.splits;
  method.peakEntries = Math.max(method.peakEntries, stats.peakEntries);
  method.spilledBytes += stats.spilledBytes;
};

/**
 * Reads every segment's figures (and with shuffle every partition's) and lists where their
 * candidates and rejections are: without shuffle in each segment, with shuffle candidates in each
 * partition and rejections in each segment's parts.
 * @throws DynasyncError `verify.jobMismatch` when a segment is not done or a partition not compared.
 */
export const gatherSettleInputs = async (
  store: JobStore,
  job: VerifyJob,
  jobId: string,
): Promise<SettleInputs> => {
  const { spec, keys } = job;
  let scan = emptyStats(spec.partitions);
  const method = emptyCompareStats();
  const candidateKeys: string[] = [];
  const rejectionKeys: string[] = [];
  for (const segment of spec.segments) {
    const segmentStats = await doneSegmentStats(store, keys, jobId, segment);
    scan = addStats(scan, segmentStats);
    if (spec.shuffle) {
      for (let part = 0; part < segmentStats.parts; part += 1)
        rejectionKeys.push(`${keys.part(segment, part)}/rejected.jsonl`);
    } else {
      rejectionKeys.push(`${keys.segment(segment)}/rejected.jsonl`);
      candidateKeys.push(`${keys.segment(segment)}/candidates.jsonl`);
      addMethod(method, segmentStats);
    }
  }
  if (spec.shuffle)
    for (let partition = 0; partition < spec.partitions; partition += 1) {
      const partitionStats = await getJson<CompareStats>(store, `${keys.partition(partition)}/stats.json`);
      if (partitionStats === undefined)
        throw verifyError(
          VerifyErrorCodes.jobMismatch,
          `verify: partition ${partition} of job "${jobId}" is not compared`,
          { jobId },
        );
      addMethod(method, partitionStats);
      candidateKeys.push(`${keys.partition(partition)}/candidates.jsonl`);
    }
  return { scan, method, candidateKeys, rejectionKeys };
};
