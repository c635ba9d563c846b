import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import type { MergeFunction } from '../conflict/merge/types.js';
import { loadConfigFromEnv } from '../core/config/loadConfig.js';
import type { Config } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import { sourceTableOf } from './checkSource.js';
import { createDynamoClients, peerRolesFromEnv } from './clients.js';
import { createPipelines } from './createPipelines.js';
import { createReplicator, type Replicator } from './createReplicator.js';
import { loadConfiguredMerge } from './merge/loadMergeModule.js';
import { emfMetrics, type ReplicatorMetrics } from './metrics.js';
import type { ReplicatorLogger } from './processBatch.js';
import { powertoolsTracing } from './tracing.js';
import type { BatchResponse, StreamEvent, StreamRecord } from './types.js';

/** Environment variable naming the region whose stream the function reads. @default AWS_REGION */
export const REGION_ENV = 'DYNASYNC_REGION';

/**
 * Environment variable with the AWS account id of the source table. When set, a record whose
 * `eventSourceARN` names another account is dead-lettered (`replicator.foreignRecord`); when unset,
 * only the table and region are checked. @default unset
 */
export const SOURCE_ACCOUNT_ENV = 'DYNASYNC_SOURCE_ACCOUNT';

/** The source account from the environment, checked: 12 digits or unset. */
export const sourceAccountFromEnv = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const account = env[SOURCE_ACCOUNT_ENV];
  if (account === undefined || account === '') return undefined;
  if (!/^\d{12}$/.test(account))
    throw new DynasyncError(
      ErrorCodes.config.invalidField,
      `${SOURCE_ACCOUNT_ENV}: an AWS account id is 12 digits, like "123456789012"`,
      { payload: { path: SOURCE_ACCOUNT_ENV } },
    );
  return account;
};

let defaultLogger: ReplicatorLogger | undefined;

/**
 * Makes a Lambda handler for DynamoDB stream events around a replicator. The batch must finish
 * `marginMs` before Lambda's timeout so the partial-batch response always gets out.
 *
 * An event without a `Records` array (a test invocation, a wrong trigger) has nothing to process:
 * it is logged at WARN and answered with no failures.
 */
export const createHandler =
  (
    replicator: () => Replicator,
    marginMs: number,
    metrics?: () => ReplicatorMetrics,
    logger?: ReplicatorLogger,
  ) =>
  async (event: StreamEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<BatchResponse> => {
    const records: unknown = typeof event === 'object' && event !== null ? event.Records : undefined;
    if (!Array.isArray(records)) {
      defaultLogger ??= new Logger({ serviceName: 'dynasync' });
      const log = logger ?? defaultLogger;
      log.warn(
        'event has no Records array: nothing to process (is the function triggered by a DynamoDB stream?)',
        {
          code: ErrorCodes.replicator.malformedRecord,
          recordsType: records === null ? 'null' : typeof records,
        },
      );
      return { batchItemFailures: [] };
    }
    const deadlineMs = Date.now() + Math.max(0, context.getRemainingTimeInMillis() - marginMs);
    const result = await replicator().process(records as readonly StreamRecord[], deadlineMs);
    metrics?.().publish(result);
    return { batchItemFailures: result.batchItemFailures };
  };

/** What one cold start builds, once: the replicator of this region and what the handler needs around it. */
export interface HandlerRuntime {
  readonly config: Config;
  readonly region: string;
  readonly replicator: Replicator;
  readonly metrics: ReplicatorMetrics;
  /** The Lambda handler over this replicator (see {@link createHandler}). */
  readonly handle: ReturnType<typeof createHandler>;
}

/** The start-up checks' result: the config (read once per cold start), the region and the merge module. */
interface StartupChecked {
  readonly config: Config;
  readonly region: string;
  readonly merge: MergeFunction | undefined;
}

/** Memoises an async step per module instance; a failure is forgotten, so the next call tries again. */
const once = <T>(step: () => Promise<T>): (() => Promise<T>) => {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= step().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
};

/**
 * The start-up checks: the config in `DYNASYNC_CONFIG` is valid, the region is set, and the
 * `conflict.module` it names imports and exports `merge` (a broken module would otherwise show only
 * at the first conflict). Once they pass they are not run again.
 * @throws DynasyncError `config.invalidField`, `conflict.invalidMergeModule` (naming `conflict.module`)
 */
const checkStartup = once(async (): Promise<StartupChecked> => {
  const config = loadConfigFromEnv();
  const region = process.env[REGION_ENV] ?? process.env.AWS_REGION;
  if (region === undefined)
    throw new Error(`set ${REGION_ENV} to the region whose stream this function reads`);
  return { config, region, merge: await loadConfiguredMerge(config) };
});

/**
 * Builds the runtime once per cold start: the start-up checks, then the peers' pipelines (KMS
 * decrypts the data key here), the clients, metrics, tracer, logger and the replicator. A failure
 * is not memoised: the next invocation tries again (a start-up check that passed is not re-run).
 *
 * ```
 * cold start ──► checkStartup (config once, region, merge) ──► pipelines ──► clients, replicator
 * invocation 1 ─────────────────────────────────────────────────────────────────────► handle
 * invocation 2 ──► handle (all memoised)
 * ```
 */
export const init = once(async (): Promise<HandlerRuntime> => {
  const { config, region, merge } = await checkStartup();
  const pipelines = await createPipelines(config, region);
  const metrics = emfMetrics(config.name, region);
  const clients = createDynamoClients(config, {
    maxSockets: config.replicator.concurrency * 2,
    roles: peerRolesFromEnv(),
  });
  const replicator = createReplicator({
    config,
    region,
    clients,
    logger: new Logger({ serviceName: 'dynasync', persistentKeys: { region } }),
    // Active X-Ray tracing (deploy.lambda.tracing) gives the function a segment; with it off the CDK
    // sets POWERTOOLS_TRACE_ENABLED=false and the tracer records nothing.
    tracing: powertoolsTracing(new Tracer({ serviceName: 'dynasync' })),
    onDeadLetterOversize: () => metrics.oversize(),
    // Only this region's table: a mapping to another table, region or account is refused record by record.
    source: sourceTableOf(config, region, sourceAccountFromEnv()),
    pipelines,
    ...(merge === undefined ? {} : { merge }),
  });
  const handle = createHandler(
    () => replicator,
    config.replicator.timeBudgetMarginMs,
    () => metrics,
  );
  return { config, region, replicator, metrics, handle };
});

/** The Lambda entry point: config from `DYNASYNC_CONFIG`, region from `DYNASYNC_REGION`; everything built once, on first use. */
export const handler = async (
  event: StreamEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<BatchResponse> => (await init()).handle(event, context);

// In Lambda the start-up checks run in the function's init: a bad config or a missing or throwing
// conflict.module fails the init with its DynasyncError (code and config field in the function's
// log), and no batch is taken until it is fixed; the stream keeps the records.
if (process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined) await checkStartup();
