import { VerifyErrorCodes, verifyError } from '../../verify/errors.js';
import type { JobStore } from '../protocol.js';
import { getJson } from './jobStoreReads.js';
import type { VerifyJobKeys } from './verifyJobKeys.js';
import type { DoneStats } from './verifyJobStats.js';

/**
 * A finished segment's figures (`segments/<i>/stats.json`).
 * @throws DynasyncError `verify.jobMismatch` when the segment is not done.
 */
export const doneSegmentStats = async (
  store: JobStore,
  keys: VerifyJobKeys,
  jobId: string,
  segment: number,
): Promise<DoneStats> => {
  const stats = await getJson<DoneStats>(store, `${keys.segment(segment)}/stats.json`);
  if (stats === undefined)
    throw verifyError(
      VerifyErrorCodes.jobMismatch,
      `verify: segment ${segment} of job "${jobId}" is not done`,
      {
        jobId,
      },
    );
  return stats;
};
