import type { PollerStatus } from '../../../replicator/poller/StatusFile.js';
import type { RegionReadings } from '../../../tools/status/types.js';

/** 2026-12-01T12:00:00Z, the injected "now" of the status tests. */
export const NOW = Date.UTC(2026, 11, 1, 12);

export const iso = (ms: number): string => new Date(ms).toISOString();

/** A running poller's status written 2 s before {@link NOW}: 5 applied, lag 80 ms. */
export const pollerStatus = (overrides: Partial<PollerStatus> = {}): PollerStatus => ({
  format: 1,
  region: 'eu-west-1',
  state: 'running',
  startedAt: iso(NOW - 60_000),
  updatedAt: iso(NOW - 2_000),
  statsIntervalMs: 10_000,
  coarseStreamTimes: false,
  totals: { batches: 2, records: 6, applied: 5, stale: 1, deadLettered: 0, unfinished: 0, skipped: 0 },
  peers: { 'us-east-1': { applied: 5, stale: 1, lastAppliedVersionAt: iso(NOW - 3_080) } },
  lastAppliedVersionAt: iso(NOW - 3_080),
  lastAppliedAt: iso(NOW - 3_000),
  versionLagMs: 80,
  streamLagMs: 100,
  ...overrides,
});

/** Readings of a healthy `dynasync run` region. */
export const readings = (overrides: Partial<RegionReadings> = {}): RegionReadings => ({
  region: 'eu-west-1',
  statusPath: '/ds/status-eu-west-1.json',
  status: pollerStatus(),
  checkpointPath: '/ds/checkpoint-eu-west-1.json',
  checkpointSavedAt: iso(NOW - 3_000),
  deadLetters: { source: 'file', path: '/ds/dead-letter-eu-west-1.jsonl', waiting: 0, unreadableLines: 0 },
  ...overrides,
});
