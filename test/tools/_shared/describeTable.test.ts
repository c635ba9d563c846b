import { DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, isDynasyncError } from '../../../core/errors.js';
import { describeTable, findTable } from '../../../tools/_shared/describeTable.js';
import { DEFAULT_RETRY } from '../../../tools/_shared/withRetries.js';

const missingTable = (endpoint?: string) => {
  const client = new DynamoDBClient({ region: 'eu-west-1', ...(endpoint === undefined ? {} : { endpoint }) });
  const mock = mockClient(client);
  mock
    .on(DescribeTableCommand)
    .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
  return { client, mock };
};

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );

describe('describeTable / findTable (aws-sdk-client-mock)', () => {
  it('reports a missing table at once (one DescribeTable, no retries), with a -sharedDb hint on a local endpoint', async () => {
    // Prepare
    const { client, mock } = missingTable('http://127.0.0.1:8000');

    // Act
    const error = await rejection(describeTable('verify', client, 'eu-west-1', 'orders', DEFAULT_RETRY));

    // Assess
    expect(isDynasyncError(error, ErrorCodes.config.tableUnreachable)).toBe(true);
    expect((error as Error).message).toMatch(
      /http:\/\/127\.0\.0\.1:8000 looks like DynamoDB Local.*-sharedDb/,
    );
    expect(mock.commandCalls(DescribeTableCommand)).toHaveLength(1);
  });

  it('gives no DynamoDB Local hint for the AWS endpoint', async () => {
    const { client } = missingTable();
    const error = await rejection(describeTable('verify', client, 'eu-west-1', 'orders', DEFAULT_RETRY));
    expect((error as Error).message).not.toMatch(/sharedDb/);
  });

  it('findTable answers undefined for a missing table, after one call', async () => {
    const { client, mock } = missingTable('http://localhost:8000');
    await expect(
      findTable('tables create', client, 'eu-west-1', 'orders', DEFAULT_RETRY),
    ).resolves.toBeUndefined();
    expect(mock.commandCalls(DescribeTableCommand)).toHaveLength(1);
  });
});
