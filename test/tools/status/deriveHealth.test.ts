import { describe, expect, it } from 'vitest';
import { deriveRegionHealth, deriveReport } from '../../../tools/status/deriveHealth.js';
import { StatusProblems } from '../../../tools/status/types.js';
import { iso, NOW, pollerStatus, readings } from './fixtures.js';

const LIMITS = { maxLagMs: 60_000 };
const codes = (health: { problems: ReadonlyArray<{ code: string }> }) => health.problems.map((p) => p.code);

describe('deriveRegionHealth', () => {
  it('is healthy for a running poller with a small lag and no dead letters; ages come from the injected clock', () => {
    const health = deriveRegionHealth(readings(), LIMITS, NOW);
    expect(health).toMatchObject({
      healthy: true,
      problems: [],
      mode: 'run',
      state: 'running',
      statusAgeMs: 2_000,
      lagMs: 80,
      lastAppliedVersionAgeMs: 3_080,
      checkpointAgeMs: 3_000,
      totals: { applied: 5, stale: 1, deadLettered: 0 },
      peers: [{ peer: 'us-east-1', applied: 5, stale: 1, lastAppliedVersionAgeMs: 3_080 }],
    });
  });

  it('is unhealthy when the version-time lag is over the limit', () => {
    const health = deriveRegionHealth(
      readings({ status: pollerStatus({ versionLagMs: 60_001 }) }),
      LIMITS,
      NOW,
    );
    expect(codes(health)).toStrictEqual([StatusProblems.lag]);
  });

  it('judges by the version-time lag, not a larger stream-time one', () => {
    const health = deriveRegionHealth(
      readings({ status: pollerStatus({ streamLagMs: 120_000 }) }),
      LIMITS,
      NOW,
    );
    expect(health.healthy).toBe(true);
  });

  it('uses an exact stream-time lag when there is no version lag, but never a coarse one', () => {
    const exact = pollerStatus({ versionLagMs: undefined, streamLagMs: 120_000 });
    const coarse = pollerStatus({ versionLagMs: undefined, streamLagMs: 120_000, coarseStreamTimes: true });
    expect(codes(deriveRegionHealth(readings({ status: exact }), LIMITS, NOW))).toStrictEqual([
      StatusProblems.lag,
    ]);
    expect(deriveRegionHealth(readings({ status: coarse }), LIMITS, NOW)).toMatchObject({
      healthy: true,
      streamLagCoarse: true,
    });
  });

  it('is unhealthy when dead letters wait, in a file or in SQS', () => {
    const file = readings({ deadLetters: { source: 'file', path: '/d', waiting: 1, unreadableLines: 0 } });
    const sqs = readings({ deadLetters: { source: 'sqs', queueUrl: 'https://q', waiting: 3 } });
    expect(codes(deriveRegionHealth(file, LIMITS, NOW))).toStrictEqual([StatusProblems.deadLetters]);
    expect(codes(deriveRegionHealth(sqs, LIMITS, NOW))).toStrictEqual([StatusProblems.deadLetters]);
  });

  it('suggests a redrive command that reaches the same local endpoints', () => {
    const local = readings({
      deadLetters: { source: 'file', path: '/d', waiting: 1, unreadableLines: 0 },
      endpointFlags: ' --endpoint-url eu-west-1=http://127.0.0.1:8001',
    });
    const [problem] = deriveRegionHealth(local, LIMITS, NOW).problems;
    expect(problem?.message).toContain(
      '`dynasync redrive -r eu-west-1 --endpoint-url eu-west-1=http://127.0.0.1:8001`',
    );
  });

  it('calls a running status file stale after 3 stats intervals (at least 30 s), or after --stale-after', () => {
    const at = (ageMs: number) => readings({ status: pollerStatus({ updatedAt: iso(NOW - ageMs) }) });
    expect(deriveRegionHealth(at(30_000), LIMITS, NOW).healthy).toBe(true);
    expect(codes(deriveRegionHealth(at(30_001), LIMITS, NOW))).toStrictEqual([StatusProblems.statusStale]);
    expect(deriveRegionHealth(at(30_001), { ...LIMITS, staleAfterMs: 40_000 }, NOW).healthy).toBe(true);
    const slow = readings({
      status: pollerStatus({ statsIntervalMs: 60_000, updatedAt: iso(NOW - 170_000) }),
    });
    expect(deriveRegionHealth(slow, LIMITS, NOW).healthy).toBe(true);
  });

  it('is unhealthy when the poller stopped', () => {
    const health = deriveRegionHealth(readings({ status: pollerStatus({ state: 'stopped' }) }), LIMITS, NOW);
    expect(codes(health)).toStrictEqual([StatusProblems.stopped]);
  });

  it('wants a status file unless a function is named, and judges the iterator age then', () => {
    const missing = readings({ status: undefined });
    expect(codes(deriveRegionHealth(missing, LIMITS, NOW))).toStrictEqual([StatusProblems.statusMissing]);
    const lambda = readings({ status: undefined, functionName: 'fn', iteratorAgeMs: 1_000 });
    expect(deriveRegionHealth(lambda, LIMITS, NOW)).toMatchObject({ healthy: true, mode: 'lambda' });
    const behind = readings({ status: undefined, functionName: 'fn', iteratorAgeMs: 90_000 });
    expect(codes(deriveRegionHealth(behind, LIMITS, NOW))).toStrictEqual([StatusProblems.iteratorAge]);
    const quiet = readings({ status: undefined, functionName: 'fn', iteratorAgeMs: null });
    expect(deriveRegionHealth(quiet, LIMITS, NOW).healthy).toBe(true);
  });

  it('reports a corrupt status file', () => {
    const health = deriveRegionHealth(
      readings({ status: undefined, statusError: { code: 'poller.statusCorrupt', message: 'corrupt' } }),
      LIMITS,
      NOW,
    );
    expect(codes(health)).toStrictEqual([StatusProblems.statusCorrupt]);
  });
});

describe('deriveReport', () => {
  it('is healthy only when every region is', () => {
    const sick = readings({ region: 'us-east-1', status: pollerStatus({ state: 'stopped' }) });
    expect(deriveReport([readings()], LIMITS, NOW)).toMatchObject({ healthy: true, checkedAt: iso(NOW) });
    expect(deriveReport([readings(), sick], LIMITS, NOW).healthy).toBe(false);
  });
});
