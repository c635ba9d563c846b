import { Logger } from '@aws-lambda-powertools/logger';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { type ClientOptions, createDynamoClients, createStreamsClient } from '../clients.js';
import { createPipelines } from '../createPipelines.js';
import { createReplicator } from '../createReplicator.js';
import type { ReplicatorLogger } from '../processBatch.js';
import type { BatchResult } from '../types.js';
import { assertRegionCanRun } from './assertRegionCanRun.js';
import { checkTables } from './checkTables.js';
import { FileCheckpointStore } from './FileCheckpointStore.js';
import { abortOnSignals, type RunUntilSignalOptions, runUntilSignal } from './runUntilSignal.js';
import { StreamPoller } from './StreamPoller.js';

/** Options of {@link runPoller}. */
export interface RunPollerOptions {
  readonly config: Config;
  /** The region whose stream to read. */
  readonly region: string;
  /** @default a Powertools logger, service "dynasync", with the region as a key */
  readonly logger?: ReplicatorLogger;
  /** Interval of the "replication stats" log line; 0 turns it off. @default 10000 */
  readonly statsIntervalMs?: number;
  readonly onBatch?: (result: BatchResult, shardId: string) => void;
  /** Signal handling. @default SIGINT and SIGTERM of this process */
  readonly signals?: RunUntilSignalOptions;
  /** Settings of the clients (profile, request and connection timeouts). @default {@link ClientOptions}' defaults */
  readonly clientOptions?: Omit<ClientOptions, 'maxSockets'>;
  /** How long the start-up table check retries transient failures. @default 60000 */
  readonly startupRetryBudgetMs?: number;
}

/**
 * The `dynasync run` mode for one region: refuses a region that ships nothing, checks every
 * region's table once (exists, `NEW_AND_OLD_IMAGES` stream, same key schema), then reads the
 * region's stream with a {@link StreamPoller} and a file checkpoint until SIGINT or SIGTERM.
 * A signal during the table check aborts the calls in flight at once.
 * @throws DynasyncError `config.invalidField` (one-way replica, unknown region),
 *   `config.tableMismatch`, `config.tableUnreachable` (also: no answer within the request timeout),
 *   `poller.interrupted` (a signal before the poller started), `poller.checkpointCorrupt`,
 *   `poller.streamGone`.
 * @example
 * await runPoller({ config: loadConfigFile('dynasync.json'), region: 'eu-west-1' });
 */
export const runPoller = async (options: RunPollerOptions): Promise<void> => {
  const { config, region } = options;
  assertRegionCanRun(config, region);
  const logger = options.logger ?? new Logger({ serviceName: 'dynasync', persistentKeys: { region } });
  const clients = createDynamoClients(config, {
    ...options.clientOptions,
    maxSockets: config.replicator.concurrency * 2,
  });
  const streamsClient = createStreamsClient(config, region, options.clientOptions);
  try {
    // Until runUntilSignal takes the signals over (synchronously after this block), a signal aborts.
    const startup = abortOnSignals(options.signals);
    let pipelines: Awaited<ReturnType<typeof createPipelines>>;
    try {
      await checkTables(config, clients, {
        signal: startup.signal,
        ...(options.startupRetryBudgetMs === undefined
          ? {}
          : { retryBudgetMs: options.startupRetryBudgetMs }),
      });
      pipelines = await createPipelines(config, region);
    } finally {
      startup.dispose();
    }
    const received = startup.received();
    if (received !== undefined)
      throw new DynasyncError(
        ErrorCodes.pollerInterrupted,
        `interrupted by ${received} during start-up; nothing was replicated`,
        { payload: { region, signal: received } },
      );
    const poller = new StreamPoller({
      config,
      region,
      replicator: createReplicator({ config, region, clients, logger, pipelines }),
      streamsClient,
      dynamoClient: clients[region]!,
      checkpoints: FileCheckpointStore.forRegion(config, region),
      logger,
      ...(options.statsIntervalMs === undefined ? {} : { statsIntervalMs: options.statsIntervalMs }),
      ...(options.onBatch === undefined ? {} : { onBatch: options.onBatch }),
    });
    await runUntilSignal(poller, { logger, ...options.signals });
  } finally {
    streamsClient.destroy();
    for (const client of Object.values(clients)) client.destroy();
  }
};
