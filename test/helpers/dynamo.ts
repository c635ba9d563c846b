import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
