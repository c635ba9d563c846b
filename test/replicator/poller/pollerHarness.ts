import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { vi } from 'vitest';
import { type Config, type ConfigInput, parseConfig } from '../../../core/config/index.js';
import { itemsEqual } from '../../../core/equality.js';
import type { Item } from '../../../core/types.js';
import { createDynamoClients, createStreamsClient } from '../../../replicator/clients.js';
import { createReplicator, type Replicator } from '../../../replicator/createReplicator.js';
import { FileCheckpointStore } from '../../../replicator/poller/FileCheckpointStore.js';
import { StreamPoller, type StreamPollerProps } from '../../../replicator/poller/StreamPoller.js';
import type { ReplicatorLogger } from '../../../replicator/processBatch.js';
import type { BatchCounts } from '../../../replicator/types.js';
import { createReplicatedTable, type KeyDefinition, scanAll } from '../../../tools/tables.js';
import { localEndpoint, uniqueTableName } from '../../helpers/dynamo.js';

export const SOURCE = 'eu-west-1';
export const REPLICA = 'us-east-1';

/** A logger that keeps what it is told, for assertions, and prints nothing. */
export interface RecordingLogger extends ReplicatorLogger {
  readonly lines: Array<{ level: 'debug' | 'info' | 'warn' | 'error'; message: string; extra: unknown[] }>;
  messages(level: 'debug' | 'info' | 'warn' | 'error'): string[];
}

export const recordingLogger = (): RecordingLogger => {
  const lines: RecordingLogger['lines'] = [];
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: unknown, ...extra: unknown[]): void => {
      lines.push({ level, message: String(message), extra });
    };
  return {
    lines,
    messages: (level) => lines.filter((line) => line.level === level).map((line) => line.message),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
};

/** Two regions (the two DynamoDB Local instances), one-way from SOURCE to REPLICA, with fresh tables and folders. */
export interface PollerEnv {
  readonly config: Config;
  readonly clients: Record<string, DynamoDBClient>;
  readonly source: DynamoDBClient;
  readonly replica: DynamoDBClient;
  readonly sourceTable: string;
  readonly replicaTable: string;
  readonly dir: string;
  cleanup(): Promise<void>;
}

export const pollerEnv = async (
  options: { keys?: KeyDefinition; replicator?: ConfigInput['replicator']; createTables?: boolean } = {},
): Promise<PollerEnv> => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-poller-'));
  const sourceTable = uniqueTableName('src');
  const replicaTable = uniqueTableName('rep');
  const config = parseConfig({
    version: 1,
    name: 't',
    regions: {
      [SOURCE]: { table: sourceTable, endpoint: localEndpoint(0) },
      [REPLICA]: { table: replicaTable, endpoint: localEndpoint(1) },
    },
    topology: { type: 'one-way', from: SOURCE, to: [REPLICA] },
    replicator: { checkpointDir: join(dir, 'checkpoints'), pollIntervalMs: 50, ...options.replicator },
    deadLetter: { type: 'file', dir: join(dir, 'dead-letters') },
  });
  const clients = createDynamoClients(config);
  const source = clients[SOURCE]!;
  const replica = clients[REPLICA]!;
  if (options.createTables !== false) {
    const keys = options.keys ?? { partitionKey: { name: 'pk', type: 'S' } };
    await Promise.all([
      createReplicatedTable(source, sourceTable, keys),
      createReplicatedTable(replica, replicaTable, keys),
    ]);
  }
  return {
    config,
    clients,
    source,
    replica,
    sourceTable,
    replicaTable,
    dir,
    cleanup: async () => {
      for (const client of Object.values(clients)) client.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

/** A poller of SOURCE with the env's clients and file checkpoint; not started. */
export const makePoller = (
  env: PollerEnv,
  overrides: Partial<Omit<StreamPollerProps, 'replicator'>> & {
    wrapReplicator?: (replicator: Replicator) => Replicator;
  } = {},
): { poller: StreamPoller; logger: RecordingLogger; close(): void } => {
  const logger = recordingLogger();
  const streamsClient = createStreamsClient(env.config, SOURCE);
  const replicator = createReplicator({ config: env.config, region: SOURCE, clients: env.clients, logger });
  const { wrapReplicator, ...props } = overrides;
  const poller = new StreamPoller({
    config: env.config,
    region: SOURCE,
    replicator: wrapReplicator === undefined ? replicator : wrapReplicator(replicator),
    streamsClient,
    dynamoClient: env.source,
    checkpoints: FileCheckpointStore.forRegion(env.config, SOURCE),
    logger,
    statsIntervalMs: 0,
    ...props,
  });
  return { poller, logger, close: () => streamsClient.destroy() };
};

const withoutMetadata = (item: Item): Item =>
  Object.fromEntries(Object.entries(item).filter(([name]) => !name.startsWith('_ds_')));

const isTombstone = (item: Item): boolean => {
  const marker = item._ds_del;
  return marker !== undefined && 'BOOL' in marker && marker.BOOL;
};

/** The items of a table as an application sees them: metadata stripped, tombstones absent, by `pk`. */
export const visibleItems = async (client: DynamoDBClient, table: string): Promise<Map<string, Item>> => {
  const items = await scanAll(client, table);
  const visible = new Map<string, Item>();
  for (const item of items) {
    if (isTombstone(item)) continue;
    const pk = item.pk;
    visible.set(pk !== undefined && 'S' in pk ? pk.S : JSON.stringify(pk), withoutMetadata(item));
  }
  return visible;
};

/** Waits until the replica shows exactly the source's items (20 s at most). */
export const assertConverges = async (env: PollerEnv): Promise<void> => {
  await vi.waitFor(
    async () => {
      const [expected, actual] = await Promise.all([
        visibleItems(env.source, env.sourceTable),
        visibleItems(env.replica, env.replicaTable),
      ]);
      const missing = [...expected.keys()].filter((key) => !actual.has(key));
      const extra = [...actual.keys()].filter((key) => !expected.has(key));
      const different = [...expected.keys()].filter(
        (key) => actual.has(key) && !itemsEqual(expected.get(key)!, actual.get(key)!),
      );
      if (missing.length + extra.length + different.length > 0) {
        throw new Error(
          `replica differs: missing ${missing.join(',')} extra ${extra.join(',')} different ${different.join(',')}`,
        );
      }
    },
    { timeout: 20_000, interval: 100 },
  );
};

/** Sums of the counts of the batches a poller reported through `onBatch`. */
export const countsCollector = () => {
  const totals = { batches: 0, records: 0, applied: 0, stale: 0, deadLettered: 0, unfinished: 0 };
  const onBatch = (result: { counts: BatchCounts }): void => {
    totals.batches += 1;
    totals.records += result.counts.records;
    totals.applied += result.counts.applied;
    totals.stale += result.counts.stale;
    totals.deadLettered += result.counts.deadLettered;
    totals.unfinished += result.counts.unfinished;
  };
  return { totals, onBatch };
};
