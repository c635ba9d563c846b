import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Config } from '../../core/config/types.js';
import { VerifyErrorCodes, verifyError } from '../verify/errors.js';
import type { Difference, VerifyReport } from '../verify/types.js';
import { jobSpecKey, planJob } from './planJob.js';
import type { JobSpec } from './protocol.js';
import { S3JobStore } from './S3JobStore.js';
import { runStepFunctionsVerify, type StepFunctionsProgress } from './stepFunctionsEngine.js';
import { readVerifyResult, type VerifyJobOptions } from './verifyTasks.js';

/** Options of {@link runStepFunctionsVerifyJob}: the `--engine stepfunctions` flags of `dynasync verify`. */
export interface StepFunctionsVerifyJobOptions {
  readonly config: Config;
  readonly from: string;
  readonly to: string;
  /** `--state-machine-arn`: the `StateMachineArn` output of the `DynasyncScaleout` stack. */
  readonly stateMachineArn: string;
  /** `--job-bucket`: the `JobBucket` output of the `DynasyncScaleout` stack. */
  readonly jobBucket: string;
  /** `--job-prefix`: prepended to every job store key. @default '' */
  readonly jobPrefix?: string;
  /** `--aws-endpoint-url`: one endpoint for Step Functions and S3 (moto, LocalStack). @default AWS's */
  readonly awsEndpointUrl?: string;
  /** `TotalSegments` of both scans. @default 4 */
  readonly segments?: number;
  /** Tasks at once (the job's budget is split between them). @default 4 */
  readonly workers?: number;
  /** Resume this job (its stored plan is used); a fresh one is planned when the store has none. */
  readonly jobId?: string;
  /** Fraction of segments to scan (0 < f ≤ 1). @default 1 */
  readonly sample?: number;
  readonly maxRps?: number;
  /** True when the target's pipeline transforms items: compare by output-key partition (shuffle). */
  readonly shuffle: boolean;
  readonly options?: VerifyJobOptions;
  /** Clients to use instead of creating them from the ARN's region and `awsEndpointUrl`. */
  readonly sfn?: SFNClient;
  readonly s3?: S3Client;
  /** Called when the job is planned or found, before the execution starts; `where` names its store. */
  readonly onJob?: (spec: JobSpec, where: string) => void;
  readonly onProgress?: (progress: StepFunctionsProgress) => void;
  /** @default 2_000 */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
}

/** The region of a Step Functions ARN (`arn:aws:states:<region>:<account>:stateMachine:<name>`). */
export const regionOfArn = (arn: string): string => {
  const parts = arn.split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || parts[2] !== 'states' || parts[3] === '')
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `verify: --state-machine-arn must be a Step Functions state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>), got "${arn}"`,
      { option: 'state-machine-arn' },
    );
  return parts[3]!;
};

/**
 * `verify` on a deployed `DynasyncScaleout` state machine: plans the job exactly as the local engine
 * does (or finds it in the S3 job store, to resume), runs it with {@link runStepFunctionsVerify}, and
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
  const region = regionOfArn(options.stateMachineArn);
  const endpoint = options.awsEndpointUrl === undefined ? {} : { endpoint: options.awsEndpointUrl };
  const sfn = options.sfn ?? new SFNClient({ region, ...endpoint });
  // moto and LocalStack serve buckets by path, not by virtual host.
  const s3 =
    options.s3 ??
    new S3Client({
      region,
      ...endpoint,
      ...(options.awsEndpointUrl === undefined ? {} : { forcePathStyle: true }),
    });
  const close = (): void => {
    if (options.sfn === undefined) sfn.destroy();
    if (options.s3 === undefined) s3.destroy();
  };
  try {
    const store = new S3JobStore({
      client: s3,
      bucket: options.jobBucket,
      ...(options.jobPrefix === undefined ? {} : { prefix: options.jobPrefix }),
    });
    const existing = options.jobId === undefined ? undefined : await store.get(jobSpecKey(options.jobId));
    const spec: JobSpec =
      existing !== undefined
        ? (JSON.parse(new TextDecoder().decode(existing)) as JobSpec)
        : planJob({
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
          });
    options.onJob?.(spec, `s3://${options.jobBucket}/${options.jobPrefix ?? ''}jobs/${spec.jobId}/`);
    await runStepFunctionsVerify({
      sfn,
      store,
      stateMachineArn: options.stateMachineArn,
      spec,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return { ...(await readVerifyResult(store, spec.jobId)), spec, close };
  } catch (error) {
    close();
    throw error;
  }
};
