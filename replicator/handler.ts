import type { Context } from 'aws-lambda';
import type { MergeFunction } from '../conflict/merge/types.js';
import { loadConfigFromEnv } from '../core/config/loadConfig.js';
import { createDynamoClients, peerRolesFromEnv } from './clients.js';
import { createPipelines } from './createPipelines.js';
import { createReplicator, type Replicator } from './createReplicator.js';
import { loadConfiguredMerge } from './merge/loadMergeModule.js';
import { emfMetrics, type ReplicatorMetrics } from './metrics.js';
import type { BatchResponse, StreamEvent } from './types.js';

/** Environment variable naming the region whose stream the function reads. @default AWS_REGION */
export const REGION_ENV = 'DYNASYNC_REGION';

/**
 * Makes a Lambda handler for DynamoDB stream events around a replicator. The batch must finish
 * `marginMs` before Lambda's timeout so the partial-batch response always gets out.
 */
export const createHandler =
  (replicator: () => Replicator, marginMs: number, metrics?: () => ReplicatorMetrics) =>
  async (event: StreamEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<BatchResponse> => {
    const deadlineMs = Date.now() + Math.max(0, context.getRemainingTimeInMillis() - marginMs);
    const result = await replicator().process(event.Records, deadlineMs);
    metrics?.().publish(result);
    return { batchItemFailures: result.batchItemFailures };
  };

let cached: Replicator | undefined;
let pipelinesReady: ReturnType<typeof createPipelines> | undefined;
let pipelines: Awaited<ReturnType<typeof createPipelines>> | undefined;
let cachedMetrics: ReplicatorMetrics | undefined;
let cachedMargin = 1_500;
let merge: MergeFunction | undefined;
let startupChecked = false;

const fromEnvironment = (): Replicator => {
  if (cached === undefined) {
    const config = loadConfigFromEnv();
    const region = process.env[REGION_ENV] ?? process.env.AWS_REGION;
    if (region === undefined)
      throw new Error(`set ${REGION_ENV} to the region whose stream this function reads`);
    cachedMargin = config.replicator.timeBudgetMarginMs;
    const metrics = emfMetrics(config.name, region);
    cachedMetrics = metrics;
    const clients = createDynamoClients(config, {
      maxSockets: config.replicator.concurrency * 2,
      roles: peerRolesFromEnv(),
    });
    cached = createReplicator({
      config,
      region,
      clients,
      onDeadLetterOversize: () => metrics.oversize(),
      ...(pipelines === undefined ? {} : { pipelines }),
      ...(merge === undefined ? {} : { merge }),
    });
  }
  return cached;
};

/** Resolves the peers' pipelines once per cold start (KMS decrypts the data key here); a failure is retried next time. */
const resolvePipelines = async (): Promise<void> => {
  if (pipelines !== undefined) return;
  const config = loadConfigFromEnv();
  const region = process.env[REGION_ENV] ?? process.env.AWS_REGION;
  if (region === undefined)
    throw new Error(`set ${REGION_ENV} to the region whose stream this function reads`);
  pipelinesReady ??= createPipelines(config, region);
  try {
    pipelines = await pipelinesReady;
  } catch (error) {
    pipelinesReady = undefined;
    throw error;
  }
};

/**
 * The start-up checks: the config in `DYNASYNC_CONFIG` is valid, the region is set, and the
 * `conflict.module` it names imports and exports `merge` (a broken module would otherwise show only
 * at the first conflict). Once they pass they are not run again.
 * @throws DynasyncError `config.invalidField`, `conflict.invalidMergeModule` (naming `conflict.module`)
 */
const checkStartup = async (): Promise<void> => {
  if (startupChecked) return;
  const config = loadConfigFromEnv();
  if ((process.env[REGION_ENV] ?? process.env.AWS_REGION) === undefined)
    throw new Error(`set ${REGION_ENV} to the region whose stream this function reads`);
  merge = await loadConfiguredMerge(config);
  startupChecked = true;
};

/** The Lambda entry point: config from `DYNASYNC_CONFIG`, region from `DYNASYNC_REGION`; clients built on first use. */
export const handler = async (
  event: StreamEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<BatchResponse> => {
  await checkStartup();
  await resolvePipelines();
  fromEnvironment();
  return createHandler(fromEnvironment, cachedMargin, () => cachedMetrics!)(event, context);
};

// In Lambda the start-up checks run in the function's init: a bad config or a missing or throwing
// conflict.module fails the init with its DynasyncError (code and config field in the function's
// log), and no batch is taken until it is fixed; the stream keeps the records.
if (process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined) await checkStartup();
