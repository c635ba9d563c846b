import type { Config } from '../../core/config/types.js';
import { BackfillErrorCodes, backfillError } from '../backfill/errors.js';
import type { BackfillReport } from '../backfill/types.js';
import { type BackfillJobOptions, backfillJobSpec, readBackfillReport } from './backfillTasks.js';
import { newJobId } from './planJob.js';
import type { JobSpec } from './protocol.js';
import { runStepFunctionsJob, type StepFunctionsTarget } from './runStepFunctionsJob.js';

/** Options of {@link runStepFunctionsBackfillJob}: the `--engine stepfunctions` flags of `dynasync backfill`. */
export interface StepFunctionsBackfillJobOptions extends StepFunctionsTarget {
  readonly config: Config;
  readonly from: string;
  readonly to: string;
  /** `TotalSegments` of the scan. @default 4 */
  readonly segments?: number;
  /** Tasks at once (the job's read and write budgets are split between them). @default 4 */
  readonly workers?: number;
  readonly maxRps?: number;
  readonly maxWps?: number;
  /** What each worker's writes use (`writeConcurrency`, `pageSize`). @default the task runner's */
  readonly options?: BackfillJobOptions;
  /** Wall clock of a fresh plan, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/**
 * `backfill` on a deployed `DynasyncScaleout` state machine: plans the job over every segment exactly
 * as the local engine does (or finds it in the S3 job store, to resume), runs it with
 * {@link runStepFunctionsJob} (the workers run the backfill task runner), and returns the
 * {@link BackfillReport} the settle task stored.
 * @throws DynasyncError `backfill.invalidOption` for a malformed ARN; `scaleout.executionFailed` when
 *   the execution fails; `backfill.segmentMissing` when it succeeded without a report
 */
export const runStepFunctionsBackfillJob = async (
  options: StepFunctionsBackfillJobOptions,
): Promise<{ report: BackfillReport; spec: JobSpec }> => {
  const now = options.now ?? Date.now;
  const { result, spec, close } = await runStepFunctionsJob(options, {
    command: 'backfill',
    plan: () =>
      backfillJobSpec({
        jobId: options.jobId ?? newJobId('backfill', now()),
        configVersion: options.config.configVersion,
        from: options.from,
        to: options.to,
        totalSegments: options.segments ?? 4,
        concurrency: options.workers ?? 4,
        ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
        ...(options.maxWps === undefined ? {} : { maxWps: options.maxWps }),
        ...(options.options === undefined ? {} : { options: options.options }),
        now: now(),
      }),
    read: async (store, job) => {
      const report = await readBackfillReport(store, job.jobId);
      if (report === undefined)
        throw backfillError(
          BackfillErrorCodes.segmentMissing,
          `backfill: job ${job.jobId} settled without a report in its job store; run it again with --job-id ${job.jobId}`,
          { jobId: job.jobId },
        );
      return report;
    },
  });
  close();
  return { report: result, spec };
};
