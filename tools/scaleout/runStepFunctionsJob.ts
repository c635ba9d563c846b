import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ErrorCodes } from '../../core/errors.js';
import { toolError } from '../_shared/toolError.js';
import { openJob } from './_internals/localJob.js';
import type { JobSpec, JobStore } from './protocol.js';
import { S3JobStore } from './S3JobStore.js';
import { runStepFunctionsExecution, type StepFunctionsProgress } from './stepFunctionsEngine.js';

/**
 * Where a job runs on a deployed `DynasyncScaleout` stack: the `--engine stepfunctions` flags that
 * `dynasync verify` and `dynasync backfill` share.
 */
export interface StepFunctionsTarget {
  /** `--state-machine-arn`: the `StateMachineArn` output of the `DynasyncScaleout` stack. */
  readonly stateMachineArn: string;
  /** `--job-bucket`: the `JobBucket` output of the `DynasyncScaleout` stack. */
  readonly jobBucket: string;
  /** `--job-prefix`: prepended to every job store key. @default '' */
  readonly jobPrefix?: string;
  /** `--aws-endpoint-url`: one endpoint for Step Functions and S3 (moto, LocalStack). @default AWS's */
  readonly awsEndpointUrl?: string;
  /** Resume this job (its stored plan is used); a fresh one is planned when the store has none. */
  readonly jobId?: string;
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
export const regionOfArn = (arn: string, command: JobSpec['command'] = 'verify'): string => {
  const parts = arn.split(':');
  const region = parts[3];
  if (
    parts.length < 7 ||
    parts[0] !== 'arn' ||
    parts[2] !== 'states' ||
    region === undefined ||
    region === ''
  )
    throw toolError(
      ErrorCodes[command].invalidOption,
      `${command}: --state-machine-arn must be a Step Functions state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>), got "${arn}"`,
      { option: 'state-machine-arn' },
    );
  return region;
};

/** What {@link runStepFunctionsJob} runs: the command's plan of a fresh job and how its result is read back. */
export interface StepFunctionsJob<Result> {
  readonly command: JobSpec['command'];
  /** The job's plan when the store has none under `jobId`. */
  readonly plan: () => JobSpec;
  /** Reads the settled job's result from the store (the report, the lines…). */
  readonly read: (store: JobStore, spec: JobSpec) => Promise<Result>;
}

/**
 * The driver of a job on a deployed `DynasyncScaleout` state machine, whatever its command: finds the
 * job in the S3 job store (to resume) or plans it and writes its spec, starts or follows the
 * execution ({@link runStepFunctionsExecution}, progress from the store), then reads the result back.
 * @returns the result, its spec and `close`, which destroys the clients this call created (call it
 *   once the result is read: lines may stream from S3)
 * @throws DynasyncError `<command>.invalidOption` for a malformed ARN; `scaleout.executionFailed`
 *   when the execution fails
 */
export const runStepFunctionsJob = async <Result>(
  target: StepFunctionsTarget,
  job: StepFunctionsJob<Result>,
): Promise<{ result: Result; spec: JobSpec; close: () => void }> => {
  const region = regionOfArn(target.stateMachineArn, job.command);
  const endpoint = target.awsEndpointUrl === undefined ? {} : { endpoint: target.awsEndpointUrl };
  const sfn = target.sfn ?? new SFNClient({ region, ...endpoint });
  // moto and LocalStack serve buckets by path, not by virtual host.
  const s3 =
    target.s3 ??
    new S3Client({
      region,
      ...endpoint,
      ...(target.awsEndpointUrl === undefined ? {} : { forcePathStyle: true }),
    });
  const close = (): void => {
    if (target.sfn === undefined) sfn.destroy();
    if (target.s3 === undefined) s3.destroy();
  };
  try {
    const store = new S3JobStore({
      client: s3,
      bucket: target.jobBucket,
      ...(target.jobPrefix === undefined ? {} : { prefix: target.jobPrefix }),
    });
    const spec = await openJob(store, target.jobId, job.plan);
    target.onJob?.(spec, `s3://${target.jobBucket}/${target.jobPrefix ?? ''}jobs/${spec.jobId}/`);
    await runStepFunctionsExecution({
      sfn,
      store,
      stateMachineArn: target.stateMachineArn,
      spec,
      ...(target.onProgress === undefined ? {} : { onProgress: target.onProgress }),
      ...(target.pollMs === undefined ? {} : { pollMs: target.pollMs }),
      ...(target.signal === undefined ? {} : { signal: target.signal }),
    });
    return { result: await job.read(store, spec), spec, close };
  } catch (error) {
    close();
    throw error;
  }
};
