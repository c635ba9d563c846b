import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteItemCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { createPlainTable } from '../../../bench/_internals/tables.js';
import { type Config, parseConfig } from '../../../core/config/index.js';
import type { Item } from '../../../core/types.js';
import { createDynamoClients } from '../../../replicator/clients.js';
import { seededRandom } from '../../../test/support/seededRandom.js';
import { createReplicatedTable } from '../../../tools/tables.js';
import { localEndpoint, uniqueTableName } from '../../helpers/dynamo.js';

export const SOURCE = 'eu-west-1';
export const TARGET = 'us-east-1';

/** Two regions on the two DynamoDB Local instances, a config naming them, and a folder for files. */
export interface BackfillPair {
  readonly config: Config;
  /** The config as written to `configFile`. */
  readonly configInput: Record<string, unknown>;
  readonly configFile: string;
  readonly dir: string;
  readonly clients: Record<string, DynamoDBClient>;
  readonly source: DynamoDBClient;
  readonly target: DynamoDBClient;
  readonly sourceTable: string;
  readonly targetTable: string;
  cleanup(): Promise<void>;
}

/** Options of {@link backfillPair}. */
export interface BackfillPairOptions {
  /** @default 'one-way' */
  readonly topology?: 'one-way' | 'active-active';
  /** Give the source table a stream (only when replication reads it). @default false */
  readonly sourceStream?: boolean;
  /** Extra `replicator` settings. */
  readonly replicator?: Record<string, unknown>;
}

/** Creates the tables (stream-less unless asked: DynamoDB Local slows down as stream records pile up) and the config file. */
export const backfillPair = async (options: BackfillPairOptions = {}): Promise<BackfillPair> => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-backfill-'));
  const sourceTable = uniqueTableName('bs');
  const targetTable = uniqueTableName('bt');
  const configInput = {
    version: 1,
    name: 'backfill-test',
    regions: {
      [SOURCE]: { table: sourceTable, endpoint: localEndpoint(0) },
      [TARGET]: { table: targetTable, endpoint: localEndpoint(1) },
    },
    topology:
      options.topology === 'active-active'
        ? { type: 'active-active' }
        : { type: 'one-way', from: SOURCE, to: [TARGET] },
    deadLetter: { type: 'file', dir: join(dir, 'dlq') },
    replicator: { checkpointDir: join(dir, 'cp'), ...options.replicator },
  };
  const config = parseConfig(configInput);
  const configFile = join(dir, 'dynasync.json');
  await writeFile(configFile, JSON.stringify(configInput, null, 2));
  const clients = createDynamoClients(config);
  const source = clients[SOURCE]!;
  const target = clients[TARGET]!;
  await Promise.all([
    options.sourceStream === true
      ? createReplicatedTable(source, sourceTable, { partitionKey: { name: 'pk', type: 'S' } })
      : createPlainTable(source, sourceTable),
    createPlainTable(target, targetTable),
  ]);
  return {
    config,
    configInput,
    configFile,
    dir,
    clients,
    source,
    target,
    sourceTable,
    targetTable,
    cleanup: async () => {
      await Promise.all([
        source.send(new DeleteTableCommand({ TableName: sourceTable })).catch(() => undefined),
        target.send(new DeleteTableCommand({ TableName: targetTable })).catch(() => undefined),
      ]);
      for (const client of Object.values(clients)) client.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

/** `count` plain (unversioned) items `k0…`, with a 38-digit number, as a legacy writer makes them. */
export const plainItems = (count: number, from = 0): Item[] =>
  Array.from({ length: count }, (_, i) => ({
    pk: { S: `k${from + i}` },
    n: { N: `${100_000 + from + i}.${'1'.repeat(31)}7` },
    label: { S: `item ${from + i}` },
  }));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `probe` to the source until replication has carried it to the target. */
export const awaitReplication = async (pair: BackfillPair, probe: string): Promise<void> => {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    await pair.source.send(
      new PutItemCommand({
        TableName: pair.sourceTable,
        Item: { pk: { S: probe }, attempt: { N: String(attempt) } },
      }),
    );
    await sleep(250);
    const { Item } = await pair.target.send(
      new GetItemCommand({ TableName: pair.targetTable, Key: { pk: { S: probe } }, ConsistentRead: true }),
    );
    if (Item !== undefined) return;
  }
  throw new Error(`replication did not carry ${probe} within 50 s`);
};

/** Operations a {@link liveWorkload} made. */
export interface WorkloadOps {
  updates: number;
  deletes: number;
  inserts: number;
}

/**
 * A live workload of updates, deletes and new keys on the source's `k0…k599` (seeded), one every
 * 10 ms: at least 160 operations (the seeded sequence holds ~40 deletes and ~80 updates), and until
 * `stop()` is called.
 */
export const liveWorkload = (pair: BackfillPair, seed: number): { stop(): Promise<WorkloadOps> } => {
  const random = seededRandom(seed);
  const ops: WorkloadOps = { updates: 0, deletes: 0, inserts: 0 };
  let stopped = false;
  const running = (async () => {
    for (let n = 0; !stopped || n < 160; n += 1) {
      const roll = random();
      const key = `k${Math.floor(random() * 600)}`;
      if (roll < 0.5) {
        ops.updates += 1;
        await pair.source.send(
          new PutItemCommand({
            TableName: pair.sourceTable,
            Item: { pk: { S: key }, label: { S: `update ${n}` } },
          }),
        );
      } else if (roll < 0.75) {
        ops.deletes += 1;
        await pair.source.send(
          new DeleteItemCommand({ TableName: pair.sourceTable, Key: { pk: { S: key } } }),
        );
      } else {
        ops.inserts += 1;
        await pair.source.send(
          new PutItemCommand({ TableName: pair.sourceTable, Item: plainItems(1, 600 + n)[0]! as never }),
        );
      }
      await sleep(10);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await running;
      return ops;
    },
  };
};
