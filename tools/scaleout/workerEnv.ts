import { S3Client } from '@aws-sdk/client-s3';
import { CONFIG_ENV, loadConfigFromEnv } from '../../core/config/loadConfig.js';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes, isDynasyncError } from '../../core/errors.js';
import type { JobStore } from './protocol.js';
import { S3JobStore } from './S3JobStore.js';

/** Environment variables of the worker function (the `DynasyncScaleout` construct sets them). */
export const ScaleoutWorkerEnv = {
  /** The dynasync config document (JSON), as the construct's `config` prop gives it. */
  config: CONFIG_ENV,
  /** The job bucket's name. */
  bucket: 'DYNASYNC_JOB_BUCKET',
  /** The ARN of the KMS key job objects are written under (SSE-KMS). */
  keyArn: 'DYNASYNC_JOB_KEY_ARN',
} as const;

/** What a worker reads from its environment. */
export interface WorkerEnvironment {
  readonly config: Config;
  readonly bucket: string;
  readonly keyArn: string;
}

const invalid = (variable: string, why: string, cause?: unknown): DynasyncError =>
  new DynasyncError(
    ErrorCodes.scaleout.invalidEnvironment,
    `scaleout worker: ${variable} ${why}; the DynasyncScaleout construct sets it (redeploy the stack, or set it by hand)`,
    { payload: { variable }, ...(cause === undefined ? {} : { cause }) },
  );

// S3 bucket names: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// A KMS key ARN (`arn:aws:kms:eu-west-1:111111111111:key/…`), any partition.
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/**
 * Reads the worker's environment: the config from `DYNASYNC_CONFIG` (see `loadConfigFromEnv`), the
 * job bucket and its key. Nothing is logged: the config may name keys and tables, never item values.
 * @throws DynasyncError `scaleout.invalidEnvironment` naming the variable that is missing or malformed
 *   (`payload.variable`; a config that breaks its schema has the `config.invalidField` error as `cause`)
 */
export const readWorkerEnv = (env: NodeJS.ProcessEnv = process.env): WorkerEnvironment => {
  const inline = env[ScaleoutWorkerEnv.config];
  if (inline === undefined || inline === '') throw invalid(ScaleoutWorkerEnv.config, 'is not set');
  let config: Config;
  try {
    config = loadConfigFromEnv({ [CONFIG_ENV]: inline });
  } catch (error) {
    throw invalid(
      ScaleoutWorkerEnv.config,
      `is not a valid dynasync config (${isDynasyncError(error) ? error.message : 'unreadable'})`,
      error,
    );
  }
  const bucket = env[ScaleoutWorkerEnv.bucket];
  if (bucket === undefined || bucket === '') throw invalid(ScaleoutWorkerEnv.bucket, 'is not set');
  if (!BUCKET.test(bucket)) throw invalid(ScaleoutWorkerEnv.bucket, 'is not an S3 bucket name');
  const keyArn = env[ScaleoutWorkerEnv.keyArn];
  if (keyArn === undefined || keyArn === '') throw invalid(ScaleoutWorkerEnv.keyArn, 'is not set');
  if (!KEY_ARN.test(keyArn)) throw invalid(ScaleoutWorkerEnv.keyArn, 'is not a KMS key ARN');
  return { config, bucket, keyArn };
};

/**
 * The job store of a worker's environment: the construct's bucket, no key prefix (job objects are
 * under `jobs/`), SSE-KMS under its key.
 * @param s3 @default a client of the function's region (`AWS_REGION`, and `AWS_ENDPOINT_URL` if set)
 */
export const workerJobStore = (environment: WorkerEnvironment, s3: S3Client = new S3Client({})): JobStore =>
  new S3JobStore({ client: s3, bucket: environment.bucket, kmsKeyId: environment.keyArn });
