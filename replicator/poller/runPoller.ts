import { Logger } from '@aws-lambda-powertools/logger';
import type { Config } from '../../core/config/types.js';
import { createDynamoClients, createStreamsClient } from '../clients.js';
import { createPipelines } from '../createPipelines.js';
import { createReplicator } from '../createReplicator.js';
import { loadConfiguredMerge } from '../merge/loadMergeModule.js';
import type { ReplicatorLogger } from '../processBatch.js';
import type { BatchResult } from '../types.js';
import { assertRegionCanRun } from './assertRegionCanRun.js';
import { checkTables } from './checkTables.js';
import { FileCheckpointStore } from './FileCheckpointStore.js';
import { type RunUntilSignalOptions, runUntilSignal } from './runUntilSignal.js';
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
}

/**
 * The `dynasync run` mode for one region: refuses a region that ships nothing, loads and checks
 * `conflict.module` (when the config names one), checks every
 * region's table once (exists, `NEW_AND_OLD_IMAGES` stream, same key schema), then reads the
 * region's stream with a {@link StreamPoller} and a file checkpoint until SIGINT or SIGTERM.
 * @throws DynasyncError `config.invalidField` (one-way replica, unknown region), `conflict.invalidMergeModule`,
 *   `config.tableMismatch`, `config.tableUnreachable`, `poller.checkpointCorrupt`, `poller.streamGone`.
 * @example
 * await runPoller({ config: loadConfigFile('dynasync.json'), region: 'eu-west-1' });
 */
export const runPoller = async (options: RunPollerOptions): Promise<void> => {
  const { config, region } = options;
  assertRegionCanRun(config, region);
  // A missing or broken conflict.module stops the start here, not at the first conflict.
  const merge = await loadConfiguredMerge(config);
  const logger = options.logger ?? new Logger({ serviceName: 'dynasync', persistentKeys: { region } });
  const clients = createDynamoClients(config, { maxSockets: config.replicator.concurrency * 2 });
  const streamsClient = createStreamsClient(config, region);
  try {
    await checkTables(config, clients);
    const pipelines = await createPipelines(config, region);
    const poller = new StreamPoller({
      config,
      region,
      replicator: createReplicator({
        config,
        region,
        clients,
        logger,
        pipelines,
        ...(merge === undefined ? {} : { merge }),
      }),
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
