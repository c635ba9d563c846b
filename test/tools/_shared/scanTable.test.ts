import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { DynasyncError, ErrorCodes } from '../../../core/errors.js';
import { scanTable } from '../../../tools/_shared/scanTable.js';
import { DEFAULT_RETRY } from '../../../tools/_shared/withRetries.js';

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error as DynasyncError,
  );

const options = (client: DynamoDBClient, signal?: AbortSignal) => ({
  tool: 'backfill',
  client,
  tableName: 'orders',
  segments: 2,
  retry: { ...DEFAULT_RETRY, attempts: 2, sleep: async () => {} },
  onBody: async () => ({}),
  ...(signal === undefined ? {} : { signal }),
});

describe('scanTable: neutral error codes, whichever command scans', () => {
  it('fails a page that keeps failing with scan.failed, never a verify code, naming the calling tool', async () => {
    // Prepare
    const client = new DynamoDBClient({ region: 'eu-west-1', maxAttempts: 1 });
    const denied = Object.assign(new Error('not allowed'), {
      name: 'AccessDeniedException',
      $fault: 'client',
    });
    mockClient(client).on(ScanCommand).rejects(denied);

    // Act
    const error = await rejection(scanTable(options(client)));

    // Assess
    expect(error).toBeInstanceOf(DynasyncError);
    expect(error.code).toBe(ErrorCodes.scan.failed);
    expect(DynasyncError.match(error, 'verify.')).toBe(false);
    expect(error.message).toMatch(
      /^backfill: scanning orders \(segment \d of 2\) failed: AccessDeniedException/,
    );
    expect(error.payload).toMatchObject({ table: 'orders', awsError: 'AccessDeniedException' });
  });

  it('reports an interrupted scan as scan.aborted', async () => {
    // Prepare
    const client = new DynamoDBClient({ region: 'eu-west-1', maxAttempts: 1 });
    const mock = mockClient(client);
    const controller = new AbortController();
    controller.abort();

    // Act
    const error = await rejection(scanTable(options(client, controller.signal)));

    // Assess
    expect(error.code).toBe(ErrorCodes.scan.aborted);
    expect(error.message).toBe('backfill: the scan of orders was interrupted');
    expect(mock.commandCalls(ScanCommand)).toHaveLength(0);
  });
});
