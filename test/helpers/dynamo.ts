import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { inject } from 'vitest';
import { createReplicatedTable, type KeyDefinition } from '../../tools/tables.js';

/** A client for one of the two DynamoDB Local instances of this test run (0 or 1). */
export const localClient = (instance: 0 | 1): DynamoDBClient =>
  new DynamoDBClient({
    endpoint: inject('dynamoEndpoints')[instance],
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

/** The endpoint of instance 0 or 1. */
export const localEndpoint = (instance: 0 | 1): string => inject('dynamoEndpoints')[instance];

/** A table name no other test uses. */
export const uniqueTableName = (prefix = 't'): string => `${prefix}-${randomUUID().slice(0, 8)}`;

const DEFAULT_KEYS: KeyDefinition = { partitionKey: { name: 'pk', type: 'S' } };

/** Creates a streamed table with a unique name on an instance and returns its name. */
export const createTestTable = async (
  client: DynamoDBClient,
  keys: KeyDefinition = DEFAULT_KEYS,
): Promise<string> => {
  const name = uniqueTableName();
  await createReplicatedTable(client, name, keys);
  return name;
};

/** Every record of a table's stream, all shards from TRIM_HORIZON, read directly from DynamoDB Local. */
export const readWholeStream = async (
  client: DynamoDBClient,
  endpoint: string,
  table: string,
): Promise<_Record[]> => {
  const streams = new DynamoDBStreamsClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    const streamArn = Table!.LatestStreamArn!;
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const records: _Record[] = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId!,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      while (iterator !== undefined) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        records.push(...(page.Records ?? []));
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return records;
  } finally {
    streams.destroy();
  }
};
