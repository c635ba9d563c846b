import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from '../../core/config/types.js';
import type { Item } from '../../core/types.js';
import type { KeyHasher } from '../../keys/keyHasher.js';
import type { RetryPolicy } from '../_shared/withRetries.js';
import { VerifyErrorCodes, verifyError } from '../verify/errors.js';
import type { Difference, SourceTransform, VerifyProgress, VerifyReport } from '../verify/types.js';
import { getJson, textOf } from './_internals/jobStoreReads.js';
import { verifyComparePartition } from './_internals/verifyComparePartition.js';
import { verifyJobKeys } from './_internals/verifyJobKeys.js';
import { verifyScanSegment } from './_internals/verifyScanSegment.js';
import { verifySettle } from './_internals/verifySettle.js';
import { resolveVerifyTaskContext } from './_internals/verifyTaskContext.js';
import type { JobStore, TaskRunner } from './protocol.js';

export { mergeCandidates } from './_internals/mergeCandidates.js';
export { verifyJobKeys } from './_internals/verifyJobKeys.js';

/** What a verify task runner needs besides the task: the config, clients and the job store. */
export interface VerifyTaskDeps {
  readonly store: JobStore;
  readonly config: Config;
  /** DynamoDB clients by region (the caller owns them). */
  readonly clients: Readonly<Record<string, DynamoDBClient>>;
  /** The peer's pipeline, applied to source items. @default identity */
  readonly transform?: SourceTransform;
  /** See `VerifyOptions.sourceKeyOf`. @default the target key's attributes named like the source's */
  readonly sourceKeyOf?: (targetKey: Item) => Item | undefined;
  /** @default the deployment's (`resolveKeyHasher`) */
  readonly keyHasher?: KeyHasher;
  /** When given, a job planned with another config version is refused (`verify.jobMismatch`). */
  readonly configVersion?: string;
  /** Folder for a task's scratch files (a fresh sub-folder per task, removed after). @default os.tmpdir() */
  readonly workDir?: string;
  /** Wall clock, epoch ms (repair versions, scan end times). @default Date.now */
  readonly now?: () => number;
  /** The clock a task's `deadlineAt` is read on, epoch ms. @default Date.now */
  readonly clock?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** @default 10 attempts, 50 ms base, 5 s max delay */
  readonly retry?: Partial<RetryPolicy>;
  readonly onProgress?: (progress: VerifyProgress) => void;
}

/** The verify options a job carries in `JobSpec.options` (all optional, verify's defaults). */
export interface VerifyJobOptions {
  readonly settleSeconds?: number;
  readonly settleRounds?: number;
  readonly repair?: boolean;
  readonly dryRun?: boolean;
  readonly pageSize?: number;
  readonly maxEntriesInMemory?: number;
  readonly sampleSize?: number;
  readonly repairConcurrency?: number;
}

/**
 * The task runner of verify jobs: the phases of `verify`, each a task a worker runs in-process, under
 * `dynasync worker` or in a Lambda, with everything it hands on in the job store.
 *
 * ```
 * scanSegment i   scan segment i of both tables (same TotalSegments) ─► pipeline ─► digest ─► spill
 *                 at deadlineAt: stop after the page, store the part, answer a continuation
 *                 done, no shuffle: compare the segment's two sides ─► segments/i/candidates.jsonl
 *                 done, shuffle:   the parts stay, by output-key partition
 * comparePartition p (shuffle only): partition p of every segment's parts ─► partitions/p/candidates.jsonl
 * settle          merge candidates by key ─► consistent re-reads, rounds ─► report.json, differences.jsonl
 * ```
 * A task whose result is stored returns it unchanged: a job run again under its id resumes.
 */
export const createVerifyTaskRunner = (deps: VerifyTaskDeps): TaskRunner => {
  const context = resolveVerifyTaskContext(deps);
  return async (task, { deadlineAt, signal }) => {
    switch (task.kind) {
      case 'scanSegment':
        return verifyScanSegment(context, task, deadlineAt, signal);
      case 'comparePartition':
        return verifyComparePartition(context, task, signal);
      case 'settle':
        return verifySettle(context, task.jobId, signal);
    }
  };
};

/** Reads a finished job's report and its differences and rejections from the store. */
export const readVerifyResult = async (
  store: JobStore,
  jobId: string,
): Promise<{
  report: VerifyReport;
  differences: AsyncIterable<Difference>;
  rejected: AsyncIterable<Record<string, unknown>>;
}> => {
  const keys = verifyJobKeys(jobId);
  const report = await getJson<VerifyReport>(store, keys.report);
  if (report === undefined)
    throw verifyError(VerifyErrorCodes.jobMismatch, `verify: job "${jobId}" has no report yet`, { jobId });
  const linesOf = async function* <T>(key: string): AsyncGenerator<T> {
    const body = await store.get(key);
    if (body === undefined) return;
    for (const line of textOf(body).split('\n')) if (line !== '') yield JSON.parse(line) as T;
  };
  return { report, differences: linesOf<Difference>(keys.differences), rejected: linesOf(keys.rejected) };
};
