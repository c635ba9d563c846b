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
 * the tombstone expiry attribute, and waits until it is active.
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
  for (let i = 0; i < 100; i += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
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
