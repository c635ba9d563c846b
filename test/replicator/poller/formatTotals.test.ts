import { describe, expect, it } from 'vitest';
import type { TotalsSnapshot } from '../../../replicator/poller/_internals/BatchStats.js';
import {
  formatDuration,
  formatLag,
  formatLiveLine,
  formatSummary,
  isLocalEndpoint,
} from '../../../replicator/poller/_internals/formatTotals.js';

const totals = (overrides: Partial<TotalsSnapshot> = {}): TotalsSnapshot => ({
  batches: 4,
  records: 10,
  applied: 7,
  stale: 2,
  deadLettered: 1,
  unfinished: 0,
  skipped: 0,
  peers: { 'us-east-1': { applied: 7, stale: 2, lastAppliedVersionMs: Date.UTC(2026, 0, 1) } },
  lastAppliedVersionMs: Date.UTC(2026, 0, 1),
  lastAppliedAtMs: Date.UTC(2026, 0, 1) + 85,
  versionLagMs: 85,
  streamLagMs: 60_000,
  ...overrides,
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [12_345, '12.3s'],
    [245_000, '4m 05s'],
    [7_380_000, '2h 03m'],
    [273_600_000, '3d 04h'],
    [-5, '0ms'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatLag', () => {
  it('prefers the version-time lag over the stream-time one', () => {
    expect(formatLag({ versionLagMs: 85, streamLagMs: 60_000, coarseStreamTimes: true })).toBe('lag 85ms');
  });

  it('marks a stream-time lag approximate, and coarse on a local endpoint', () => {
    expect(formatLag({ streamLagMs: 60_000, coarseStreamTimes: false })).toBe('lag≈1m 00s');
    expect(formatLag({ streamLagMs: 60_000, coarseStreamTimes: true })).toBe('lag≈1m 00s (coarse)');
  });

  it('shows a dash before anything was applied', () => {
    expect(formatLag({ coarseStreamTimes: false })).toBe('lag –');
  });
});

describe('formatLiveLine', () => {
  it('shows the running totals, the lag and the uptime from the injected clock', () => {
    const line = formatLiveLine(totals(), {
      region: 'eu-west-1',
      coarseStreamTimes: true,
      startedAtMs: 1_000,
      nowMs: 131_000,
    });
    expect(line).toBe(
      'eu-west-1 ▸ applied 7 · stale 2 · dead-lettered 1 · unfinished 0 · lag 85ms · up 2m 10s',
    );
  });
});

describe('formatSummary', () => {
  it('lists totals, each peer, and explains a coarse stream lag', () => {
    const lines = formatSummary(totals({ versionLagMs: undefined }), {
      region: 'eu-west-1',
      coarseStreamTimes: true,
      startedAtMs: 0,
      nowMs: 5_000,
    });
    expect(lines[0]).toBe('dynasync run eu-west-1: stopped after 5.0s');
    expect(lines).toContain('  applied        7');
    expect(lines).toContain('  last           lag≈1m 00s (coarse)');
    expect(lines).toContain(
      '  → us-east-1: applied 7, stale 2, last applied version 2026-01-01T00:00:00.000Z',
    );
    expect(lines.at(-1)).toMatch(/whole minutes/);
  });
});

describe('isLocalEndpoint', () => {
  it.each([
    ['http://127.0.0.1:8000', true],
    ['http://localhost:8001', true],
    ['http://[::1]:8000', true],
    ['https://dynamodb.eu-west-1.amazonaws.com', false],
    [undefined, false],
    ['not a url', false],
  ])('%s → %s', (endpoint, local) => {
    expect(isLocalEndpoint(endpoint)).toBe(local);
  });
});
