import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { stamped, streamRecord, version } from '../helpers/factories.js';

const dynamo = mockClient(DynamoDBClient);
const saved = { ...process.env };
const dir = mkdtempSync(join(tmpdir(), 'dynasync-oneway-'));
afterAll(() => {
  dynamo.restore();
  process.env = saved;
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('Lambda handler on a one-way source', () => {
  it('applies a write whose new image carries _ds_rep = true to the peer: on a source it is an application write', async () => {
    // Prepare: the item was restored from a replica, so it kept the replicator's flag and version.
    dynamo.on(PutItemCommand).resolves({});
    process.env.DYNASYNC_CONFIG = JSON.stringify({
      version: 1,
      name: 'orders',
      // The source table is the one the record's eventSourceARN names (the handler refuses others).
      regions: { 'eu-west-1': { table: 'Orders' }, 'us-east-1': { table: 'orders-us' } },
      topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
      deadLetter: { type: 'file', dir },
    });
    process.env.DYNASYNC_REGION = 'eu-west-1';
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = await import('../../replicator/handler.js');
    const restored = stamped(
      { pk: { S: 'o#1' }, total: { N: '12.50' } },
      version(1_700_000_000_000, 0, 'eu-west-1'),
      {
        replicated: true,
      },
    );
    const record = streamRecord({ newImage: restored, sequenceNumber: '4100000000000000000001' });

    // Act
    const result = await handler({ Records: [record] }, { getRemainingTimeInMillis: () => 10_000 });

    // Assess: written to the peer's table, with the source's stream version, nothing failed.
    expect(result).toEqual({ batchItemFailures: [] });
    const puts = dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input);
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({
      TableName: 'orders-us',
      Item: { pk: { S: 'o#1' }, total: { N: '12.50' }, _ds_rep: { BOOL: true } },
    });
  });
});
