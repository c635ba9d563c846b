import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../replicator/handler.js';
import { emfMetrics, type ReplicatorMetrics } from '../../replicator/metrics.js';
import type { BatchCounts, BatchResult, StreamRecord } from '../../replicator/types.js';
import { captureStdout } from '../helpers/captureStdout.js';
import { streamRecord } from '../helpers/factories.js';

const counts = (overrides: Partial<BatchCounts> = {}): BatchCounts => ({
  records: 10,
  changes: 8,
  applied: 6,
  stale: 1,
  deadLettered: 1,
  unfinished: 0,
  retried: 3,
  skipped: { echo: 2, ttl: 0, tombstonePurge: 0, coalesced: 2, noPeers: 0 },
  ...overrides,
});

afterEach(() => vi.restoreAllMocks());

describe('emfMetrics', () => {
  it('publishes one Embedded Metric Format line per batch with the counts, lag and dimensions', () => {
    const lines = captureStdout();

    emfMetrics('orders', 'eu-west-1').publish({ batchItemFailures: [], counts: counts(), lagMs: 42 });

    const emf = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => '_aws' in entry);
    expect(emf).toMatchObject({
      service: 'dynasync',
      Deployment: 'orders',
      Region: 'eu-west-1',
      Applied: 6,
      Stale: 1,
      DeadLettered: 1,
      Retried: 3,
      Unfinished: 0,
      EchoesSkipped: 2,
      Records: 10,
      ReplicationLagMs: 42,
    });
    expect(JSON.stringify(emf)).toContain('"Namespace":"dynasync"');
  });
});

describe('createHandler', () => {
  it('gives the batch the remaining time minus the margin, publishes metrics and returns only batchItemFailures', async () => {
    // Prepare
    const seen: Array<{ records: readonly StreamRecord[]; deadlineMs: number }> = [];
    const result: BatchResult = {
      batchItemFailures: [{ itemIdentifier: '123' }],
      counts: counts(),
      lagMs: undefined,
    };
    const published: BatchResult[] = [];
    const metrics: ReplicatorMetrics = { publish: (r) => published.push(r), oversize: () => undefined };
    const handler = createHandler(
      () => ({
        region: 'eu-west-1',
        peers: ['us-east-1'],
        process: async (records, deadlineMs) => {
          seen.push({ records, deadlineMs });
          return result;
        },
      }),
      1_500,
      () => metrics,
    );
    const records = [streamRecord({ newImage: { pk: { S: 'a' } } })];
    const before = Date.now();

    // Act
    const response = await handler({ Records: records }, { getRemainingTimeInMillis: () => 10_000 });

    // Assess
    expect(response).toStrictEqual({ batchItemFailures: [{ itemIdentifier: '123' }] });
    expect(seen[0]?.records).toBe(records);
    expect(seen[0]?.deadlineMs).toBeGreaterThanOrEqual(before + 8_500);
    expect(seen[0]?.deadlineMs).toBeLessThanOrEqual(Date.now() + 8_500);
    expect(published).toEqual([result]);
  });
});
