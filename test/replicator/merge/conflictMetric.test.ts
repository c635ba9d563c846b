import { afterEach, describe, expect, it, vi } from 'vitest';
import { emfMetrics } from '../../../replicator/metrics.js';
import type { BatchCounts } from '../../../replicator/types.js';
import { captureStdout } from '../../helpers/captureStdout.js';

const counts = (overrides: Partial<BatchCounts> = {}): BatchCounts => ({
  records: 3,
  changes: 3,
  applied: 3,
  stale: 0,
  deadLettered: 0,
  unfinished: 0,
  retried: 0,
  skipped: { echo: 0, ttl: 0, tombstonePurge: 0, coalesced: 0, noPeers: 0 },
  ...overrides,
});

afterEach(() => vi.restoreAllMocks());

const emfOf = (lines: readonly string[]) =>
  lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => '_aws' in entry);

describe('the Conflicts metric', () => {
  it('is published with the batch under merge', () => {
    const lines = captureStdout();
    emfMetrics('orders', 'eu-west-1').publish({
      batchItemFailures: [],
      counts: counts({ conflicts: 2 }),
      lagMs: undefined,
    });
    expect(emfOf(lines)).toMatchObject({ Conflicts: 2, Applied: 3 });
  });

  it('is absent under LWW (no conflicts are detected there)', () => {
    const lines = captureStdout();
    emfMetrics('orders', 'eu-west-1').publish({ batchItemFailures: [], counts: counts(), lagMs: undefined });
    expect(emfOf(lines)).not.toHaveProperty('Conflicts');
  });
});
