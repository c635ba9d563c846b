import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ErrorCodes } from '../../core/errors.js';
import type { StreamRecord } from '../../replicator/types.js';
import { stamped, streamRecord, version } from '../helpers/factories.js';

const saved = { ...process.env };
afterAll(() => {
  process.env = saved;
  vi.restoreAllMocks();
});

describe('Lambda handler: records of another stream', () => {
  it('dead-letters records of another table, region or account (DYNASYNC_SOURCE_ACCOUNT) and writes none', async () => {
    // Prepare: the function reads Orders in eu-west-1 of account 123456789012; its peer is unreachable,
    // so any write attempt would leave the batch unfinished.
    const dir = mkdtempSync(join(tmpdir(), 'dynasync-handler-'));
    process.env.DYNASYNC_CONFIG = JSON.stringify({
      version: 1,
      name: 'orders',
      regions: {
        'eu-west-1': { table: 'Orders' },
        'us-east-1': { table: 'Orders', endpoint: 'http://127.0.0.1:9' },
      },
      topology: { type: 'active-active' },
      deadLetter: { type: 'file', dir },
    });
    process.env.DYNASYNC_REGION = 'eu-west-1';
    process.env.DYNASYNC_SOURCE_ACCOUNT = '123456789012';
    delete process.env.DYNASYNC_DLQ_URL;
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = await import('../../replicator/handler.js');
    const at = 1_700_000_000_000;
    const from = (eventSourceARN: string): StreamRecord => ({
      ...streamRecord({ newImage: stamped({ pk: { S: 'k' } }, version(at)), createdAt: at / 1000 }),
      eventSourceARN,
    });
    const stream = (region: string, account: string, table: string) =>
      `arn:aws:dynamodb:${region}:${account}:table/${table}/stream/2024-01-01T00:00:00.000`;
    const records = [
      from(stream('eu-west-1', '123456789012', 'Invoices')),
      from(stream('us-east-1', '123456789012', 'Orders')),
      from(stream('eu-west-1', '999999999999', 'Orders')),
    ];

    // Act
    const response = await handler({ Records: records }, { getRemainingTimeInMillis: () => 10_000 });

    // Assess
    expect(response).toStrictEqual({ batchItemFailures: [] });
    const letters = readFileSync(join(dir, 'dead-letter-eu-west-1.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(letters.map((letter) => [letter.record.eventSourceARN, letter.error.code])).toStrictEqual(
      records.map((record) => [record.eventSourceARN, ErrorCodes.replicator.foreignRecord]),
    );
  });
});
