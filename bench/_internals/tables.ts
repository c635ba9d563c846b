import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/**
 * Creates an on-demand table keyed by `pk` (S) **without** a stream, and waits until it is active.
 *
 * Benchmarks write peer tables without streams on purpose: DynamoDB Local keeps every stream record
 * of the instance (even of deleted tables) and gets slower on every write as they pile up
 * (measured: 335 → 52 conditional puts/s over 21,000 records), which real DynamoDB does not do.
 * Only the lag benchmark's source table, whose stream is read, has one.
 */
export const createPlainTable = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  for (let i = 0; i < 100; i += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`createPlainTable: table "${tableName}" did not become ACTIVE in 10 s`);
};

/** Deletes a table (frees DynamoDB Local's memory between benchmark runs). */
export const dropTable = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
};
