import { describe, expect, it } from 'vitest';
import { RunningTotals } from '../../../replicator/poller/_internals/BatchStats.js';
import type { BatchResult, PeerCounts } from '../../../replicator/types.js';

const batch = (
  counts: {
    records?: number;
    applied?: number;
    stale?: number;
    deadLettered?: number;
    unfinished?: number;
    echo?: number;
  },
  peers: Record<string, PeerCounts>,
  lagMs?: number,
): BatchResult => ({
  batchItemFailures: [],
  counts: {
    records: counts.records ?? 0,
    changes: 0,
    applied: counts.applied ?? 0,
    stale: counts.stale ?? 0,
    deadLettered: counts.deadLettered ?? 0,
    unfinished: counts.unfinished ?? 0,
    retried: 0,
    skipped: { echo: counts.echo ?? 0, ttl: 0, tombstonePurge: 0, coalesced: 0, noPeers: 0 },
  },
  lagMs,
  peers,
});

describe('RunningTotals', () => {
  it('sums every batch since the start, per peer too, and is never reset by a snapshot', () => {
    // Prepare
    const totals = new RunningTotals(['us-east-1', 'ap-south-1']);

    // Act
    totals.add(
      batch(
        { records: 3, applied: 2, stale: 1, echo: 1 },
        { 'us-east-1': { applied: 2, stale: 1, newestAppliedVersionMs: 1_000 } },
      ),
      1_100,
    );
    const first = totals.snapshot();
    totals.add(batch({ records: 2, deadLettered: 1, unfinished: 1 }, {}), 1_200);

    // Assess
    expect(first.applied).toBe(2);
    expect(totals.snapshot()).toMatchObject({
      batches: 2,
      records: 5,
      applied: 2,
      stale: 1,
      deadLettered: 1,
      unfinished: 1,
      skipped: 1,
      peers: {
        'us-east-1': { applied: 2, stale: 1, lastAppliedVersionMs: 1_000 },
        'ap-south-1': { applied: 0, stale: 0, lastAppliedVersionMs: undefined },
      },
    });
  });

  it('takes the true lag from the version time of the newest applied change, not from stream times', () => {
    // Prepare: the stream says 60 s (DynamoDB Local rounds to minutes); the version says 250 ms.
    const totals = new RunningTotals();

    // Act
    totals.add(
      batch(
        { applied: 2 },
        {
          'us-east-1': { applied: 1, stale: 0, newestAppliedVersionMs: 9_750 },
          'ap-south-1': { applied: 1, stale: 0, newestAppliedVersionMs: 9_500 },
        },
        60_000,
      ),
      10_000,
    );

    // Assess
    expect(totals.snapshot()).toMatchObject({
      versionLagMs: 250,
      streamLagMs: 60_000,
      lastAppliedVersionMs: 9_750,
      lastAppliedAtMs: 10_000,
    });
  });

  it('keeps the last lag when a batch applies nothing (all stale)', () => {
    // Prepare
    const totals = new RunningTotals();
    totals.add(
      batch({ applied: 1 }, { p: { applied: 1, stale: 0, newestAppliedVersionMs: 900 } }, 100),
      1_000,
    );

    // Act
    totals.add(batch({ stale: 1 }, { p: { applied: 0, stale: 1 } }), 50_000);

    // Assess
    expect(totals.snapshot()).toMatchObject({ versionLagMs: 100, lastAppliedAtMs: 1_000, stale: 1 });
  });
});
