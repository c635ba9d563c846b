import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  type ScalarAttributeType,
  ScanCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { Item } from '../core/types.js';

/** Key attributes of a table to create: a partition key and an optional sort key. */
export interface KeyDefinition {
  readonly partitionKey: { readonly name: string; readonly type: ScalarAttributeType };
  readonly sortKey?: { readonly name: string; readonly type: ScalarAttributeType };
}

/**
 * Creates an on-demand table with a `NEW_AND_OLD_IMAGES` stream (what dynasync needs) and TTL on
 * the tombstone expiry attribute, and waits until it is active (up to ~5 minutes).
 */
export const createReplicatedTable = async (
  client: DynamoDBClient,
  tableName: string,
  keys: KeyDefinition,
  ttlAttribute = '_ds_ttl',
): Promise<void> => {
  const keySchema: KeySchemaElement[] = [{ AttributeName: keys.partitionKey.name, KeyType: 'HASH' }];
  const definitions = [{ AttributeName: keys.partitionKey.name, AttributeType: keys.partitionKey.type }];
  if (keys.sortKey !== undefined) {
    keySchema.push({ AttributeName: keys.sortKey.name, KeyType: 'RANGE' });
    definitions.push({ AttributeName: keys.sortKey.name, AttributeType: keys.sortKey.type });
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: keySchema,
      AttributeDefinitions: definitions,
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  // DynamoDB Local: active at once; AWS: usually seconds, at most minutes. Poll 100 ms, then 1 s.
  for (let i = 0; ; i += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    if (i >= 320)
      throw new Error(`table "${tableName}" is still ${Table?.TableStatus ?? 'unknown'} after 5 minutes`);
    await new Promise((resolve) => setTimeout(resolve, i < 20 ? 100 : 1_000));
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
    }),
  );
};

/** Reads a whole table (all pages). For demos and tests of small tables. */
export const scanAll = async (client: DynamoDBClient, tableName: string): Promise<Item[]> => {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey as never }),
    );
    items.push(...((page.Items ?? []) as unknown as Item[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
};
