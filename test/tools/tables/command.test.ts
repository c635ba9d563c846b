import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import { ErrorCodes, isDynasyncError } from '../../../core/errors.js';
import { runTablesCreate } from '../../../tools/tables/command.js';

const config = parseConfig({
  version: 1,
  name: 'orders',
  regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders' } },
  topology: { type: 'active-active' },
});

describe('runTablesCreate (aws-sdk-client-mock)', () => {
  it('turns a failed CreateTable into one tables.createFailed error naming the table and region', async () => {
    // Prepare
    const client = new DynamoDBClient({ region: 'eu-west-1' });
    const mock = mockClient(client);
    mock
      .on(DescribeTableCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    const denied = Object.assign(new Error('User is not authorized to perform: dynamodb:CreateTable'), {
      name: 'AccessDeniedException',
    });
    mock.on(CreateTableCommand).rejects(denied);

    // Act
    const error = await runTablesCreate(
      config,
      { partitionKey: 'pk:S' },
      { clients: { 'eu-west-1': client, 'us-east-1': client }, print: () => undefined },
    ).then(
      () => undefined,
      (caught: unknown) => caught,
    );

    // Assess
    expect(isDynasyncError(error, ErrorCodes.tables.createFailed)).toBe(true);
    expect(isDynasyncError(error) && error.payload).toStrictEqual({
      region: 'eu-west-1',
      table: 'orders',
      awsError: 'AccessDeniedException',
    });
    expect(mock.commandCalls(CreateTableCommand)).toHaveLength(1);
    // A missing table is an answer, not an outage: one DescribeTable per region, no retries.
    expect(mock.commandCalls(DescribeTableCommand)).toHaveLength(2);
  });
});
