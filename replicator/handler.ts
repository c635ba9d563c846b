import type { Context } from 'aws-lambda';
import { loadConfigFromEnv } from '../core/config/loadConfig.js';
import { createDynamoClients, peerRolesFromEnv } from './clients.js';
import { createPipelines } from './createPipelines.js';
import { createReplicator, type Replicator } from './createReplicator.js';
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

/** The Lambda entry point: config from `DYNASYNC_CONFIG`, region from `DYNASYNC_REGION`; clients built on first use. */
export const handler = async (
  event: StreamEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<BatchResponse> => {
  await resolvePipelines();
  fromEnvironment();
  return createHandler(fromEnvironment, cachedMargin, () => cachedMetrics!)(event, context);
};
