import {
  BatchWriteItemCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { encodeVersion } from '../../../conflict/version.js';
import { type Config, metadataNames, parseConfig } from '../../../core/config/index.js';
import type { Item } from '../../../core/types.js';
import { createDynamoClients } from '../../../replicator/clients.js';
import { createReplicatedTable, type KeyDefinition } from '../../../tools/tables.js';
import { localEndpoint, uniqueTableName } from '../../helpers/dynamo.js';

export const SOURCE = 'eu-west-1';
export const TARGET = 'us-east-1';

/** Metadata names with the default prefix. */
export const names = metadataNames({ metadata: { prefix: '_ds_' } });

/** Two regions on the two DynamoDB Local instances, each with its own fresh table. */
export interface RegionPair {
  readonly config: Config;
  readonly clients: Record<string, DynamoDBClient>;
  readonly sourceTable: string;
  readonly targetTable: string;
  readonly source: DynamoDBClient;
  readonly target: DynamoDBClient;
  cleanup(): Promise<void>;
}

/** Options of {@link regionPair}. */
export interface RegionPairOptions {
  /** @default 'active-active' */
  readonly topology?: 'active-active' | 'one-way';
  /** @default pk (S) */
  readonly keys?: KeyDefinition;
  /** The config's `conflict` section. @default last-writer-wins */
  readonly conflict?: Record<string, unknown>;
}

/** Creates a table in each region (source on instance 0, target on instance 1) and a config naming them. */
export const regionPair = async (options: RegionPairOptions = {}): Promise<RegionPair> => {
  const sourceTable = uniqueTableName('vs');
  const targetTable = uniqueTableName('vt');
  const config = parseConfig({
    version: 1,
    name: 'verify-test',
    regions: {
      [SOURCE]: { table: sourceTable, endpoint: localEndpoint(0) },
      [TARGET]: { table: targetTable, endpoint: localEndpoint(1) },
    },
    topology:
      options.topology === 'one-way'
        ? { type: 'one-way', from: SOURCE, to: [TARGET] }
        : { type: 'active-active' },
    ...(options.conflict === undefined ? {} : { conflict: options.conflict }),
  });
  const clients = createDynamoClients(config);
  const keys = options.keys ?? { partitionKey: { name: 'pk', type: 'S' } };
  await Promise.all([
    createReplicatedTable(clients[SOURCE]!, sourceTable, keys),
    createReplicatedTable(clients[TARGET]!, targetTable, keys),
  ]);
  return {
    config,
    clients,
    sourceTable,
    targetTable,
    source: clients[SOURCE]!,
    target: clients[TARGET]!,
    cleanup: async () => {
      await Promise.all([
        clients[SOURCE]!.send(new DeleteTableCommand({ TableName: sourceTable })).catch(() => undefined),
        clients[TARGET]!.send(new DeleteTableCommand({ TableName: targetTable })).catch(() => undefined),
      ]);
      for (const client of Object.values(clients)) client.destroy();
    },
  };
};

/** Writes items with BatchWriteItem (25 per request, 4 requests in flight), resending unprocessed ones. */
export const batchPut = async (
  client: DynamoDBClient,
  table: string,
  items: readonly Item[],
): Promise<void> => {
  const limit = pLimit(4);
  const batches: Item[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  await Promise.all(
    batches.map((batch) =>
      limit(async () => {
        let requests: WriteRequest[] = batch.map((item) => ({ PutRequest: { Item: item as never } }));
        for (let attempt = 0; requests.length > 0; attempt += 1) {
          if (attempt > 20) throw new Error('batchPut: items stayed unprocessed');
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
          const output = await client.send(
            new BatchWriteItemCommand({ RequestItems: { [table]: requests } }),
          );
          requests = output.UnprocessedItems?.[table] ?? [];
        }
      }),
    ),
  );
};

/** A version text at `ms` (origin eu-west-1 unless given). */
export const versionAt = (ms: number, logical = 0, origin = SOURCE): string =>
  encodeVersion({ physicalMs: ms, logical, origin });

/** A stamped application item, as the client helper writes it. */
export const appItem = (
  pk: string,
  version: string,
  attributes: Record<string, Item[string]> = {},
): Item => ({
  pk: { S: pk },
  [names.version]: { S: version },
  ...attributes,
});

/** The item as the replicator writes it at a peer: the same, with `<prefix>rep`. */
export const replicaOf = (item: Item): Item => ({ ...item, [names.replicated]: { BOOL: true } });

/** A tombstone as the client helper writes it. */
export const tombstone = (pk: string, version: string): Item => ({
  pk: { S: pk },
  [names.version]: { S: version },
  [names.deleted]: { BOOL: true },
  [names.expires]: { N: '1999999999' },
});
