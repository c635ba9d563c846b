import type { Config } from '../../core/config/types.js';
import type { Difference, VerifyReport } from '../verify/types.js';
import { planJob } from './planJob.js';
import type { JobSpec } from './protocol.js';
import { runStepFunctionsJob, type StepFunctionsTarget } from './runStepFunctionsJob.js';
import { readVerifyResult, type VerifyJobOptions } from './verifyTasks.js';

export { regionOfArn } from './runStepFunctionsJob.js';

/** Options of {@link runStepFunctionsVerifyJob}: the `--engine stepfunctions` flags of `dynasync verify`. */
export interface StepFunctionsVerifyJobOptions extends StepFunctionsTarget {
  readonly config: Config;
  readonly from: string;
  readonly to: string;
  /** `TotalSegments` of both scans. @default 4 */
  readonly segments?: number;
  /** Tasks at once (the job's budget is split between them). @default 4 */
  readonly workers?: number;
  /** Fraction of segments to scan (0 < f ≤ 1). @default 1 */
  readonly sample?: number;
  readonly maxRps?: number;
  /** True when the target's pipeline transforms items: compare by output-key partition (shuffle). */
  readonly shuffle: boolean;
  readonly options?: VerifyJobOptions;
}

/**
 * `verify` on a deployed `DynasyncScaleout` state machine: plans the job exactly as the local engine
 * does (or finds it in the S3 job store, to resume), runs it with {@link runStepFunctionsJob}, and
 * returns the report with the job's differences and rejections read back from the store.
 * @throws DynasyncError `verify.invalidOption` for a malformed ARN; `scaleout.executionFailed` when the
 * execution fails
 */
export const runStepFunctionsVerifyJob = async (
  options: StepFunctionsVerifyJobOptions,
): Promise<{
  report: VerifyReport;
  spec: JobSpec;
  differences: AsyncIterable<Difference>;
  rejected: AsyncIterable<Record<string, unknown>>;
  /** Destroys the clients this call created; call it once the lines are read (they stream from S3). */
  close: () => void;
}> => {
  const { result, spec, close } = await runStepFunctionsJob(options, {
    command: 'verify',
    plan: () =>
      planJob({
        command: 'verify',
        configVersion: options.config.configVersion,
        from: options.from,
        to: options.to,
        totalSegments: options.segments ?? 4,
        ...(options.sample === undefined ? {} : { sample: options.sample }),
        shuffle: options.shuffle,
        ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
        concurrency: options.workers ?? 4,
        ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
        options: { ...options.options },
      }),
    read: (store, job) => readVerifyResult(store, job.jobId),
  });
  return { ...result, spec, close };
};
