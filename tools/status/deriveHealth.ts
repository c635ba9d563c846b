import { formatDuration } from '../../replicator/poller/_internals/formatTotals.js';
import type { RegionHealth, RegionReadings, StatusProblem, StatusReport, StatusThresholds } from './types.js';
import { StatusProblems } from './types.js';

/** Smallest default staleness limit of a status file, ms. */
const MIN_STALE_AFTER_MS = 30_000;

const ageOf = (at: string | undefined, nowMs: number): number | undefined => {
  if (at === undefined) return undefined;
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? undefined : Math.max(0, nowMs - ms);
};

/**
 * Judges one region's readings at `nowMs` (pure: the clock is an argument).
 *
 * Unhealthy when: the lag of the last applied batch (version times; stream times only when they are
 * exact) or the function's iterator age is over `maxLagMs`; dead letters wait; the poller stopped;
 * its status file is older than `staleAfterMs` (it stopped writing: crashed or hung); or there is
 * no status file and no function to ask CloudWatch about.
 *
 * ```
 *  updatedAt ─────── statsInterval ─────── statsInterval ─────── staleAfter (3 intervals) ─► stale
 * ```
 */
export const deriveRegionHealth = (
  readings: RegionReadings,
  thresholds: StatusThresholds,
  nowMs: number,
): RegionHealth => {
  const problems: Array<{ code: StatusProblem; message: string }> = [];
  const problem = (code: StatusProblem, message: string) => problems.push({ code, message });
  const { status, region } = readings;
  const statusAgeMs = ageOf(status?.updatedAt, nowMs);
  const coarse = status?.coarseStreamTimes ?? false;
  const limit = formatDuration(thresholds.maxLagMs);

  if (readings.statusError !== undefined) {
    problem(StatusProblems.statusCorrupt, readings.statusError.message);
  } else if (status === undefined) {
    if (readings.functionName === undefined) {
      problem(
        StatusProblems.statusMissing,
        `no status file at ${readings.statusPath}: no \`dynasync run\` has run for ${region} here (for a Lambda deployment, pass --function-name)`,
      );
    }
  } else if (status.state === 'stopped') {
    problem(StatusProblems.stopped, `the poller of ${region} stopped at ${status.updatedAt}`);
  } else {
    const staleAfterMs = thresholds.staleAfterMs ?? Math.max(MIN_STALE_AFTER_MS, 3 * status.statsIntervalMs);
    if (statusAgeMs !== undefined && statusAgeMs > staleAfterMs) {
      problem(
        StatusProblems.statusStale,
        `the status file was last written ${formatDuration(statusAgeMs)} ago (more than ${formatDuration(staleAfterMs)}): the poller of ${region} is not running or is stuck`,
      );
    }
  }

  const lagMs = status?.versionLagMs;
  const streamLagMs = status?.streamLagMs;
  if (lagMs !== undefined && lagMs > thresholds.maxLagMs) {
    problem(StatusProblems.lag, `lag ${formatDuration(lagMs)} is over ${limit}`);
  } else if (
    lagMs === undefined &&
    !coarse &&
    streamLagMs !== undefined &&
    streamLagMs > thresholds.maxLagMs
  ) {
    problem(StatusProblems.lag, `lag≈${formatDuration(streamLagMs)} (stream times) is over ${limit}`);
  }
  if (typeof readings.iteratorAgeMs === 'number' && readings.iteratorAgeMs > thresholds.maxLagMs) {
    problem(
      StatusProblems.iteratorAge,
      `iterator age ${formatDuration(readings.iteratorAgeMs)} of ${readings.functionName} is over ${limit}`,
    );
  }
  const { deadLetters } = readings;
  if (deadLetters.source !== 'none' && deadLetters.waiting > 0) {
    problem(
      StatusProblems.deadLetters,
      `${deadLetters.waiting} dead letter(s) waiting: look at them, then \`dynasync redrive -r ${region}${readings.endpointFlags ?? ''}\``,
    );
  }

  return {
    region,
    healthy: problems.length === 0,
    problems,
    mode: status !== undefined ? 'run' : readings.functionName !== undefined ? 'lambda' : 'unknown',
    state: status?.state,
    statusAgeMs,
    totals: status?.totals,
    lastAppliedVersionAt: status?.lastAppliedVersionAt,
    lastAppliedVersionAgeMs: ageOf(status?.lastAppliedVersionAt, nowMs),
    lagMs,
    streamLagMs,
    streamLagCoarse: coarse,
    peers: Object.entries(status?.peers ?? {}).map(([peer, p]) => ({
      peer,
      applied: p.applied,
      stale: p.stale,
      lastAppliedVersionAt: p.lastAppliedVersionAt,
      lastAppliedVersionAgeMs: ageOf(p.lastAppliedVersionAt, nowMs),
    })),
    deadLetters,
    checkpointAgeMs: ageOf(readings.checkpointSavedAt, nowMs),
    functionName: readings.functionName,
    iteratorAgeMs: readings.iteratorAgeMs,
  };
};

/** Judges every region: the report is healthy when each region is. */
export const deriveReport = (
  readings: readonly RegionReadings[],
  thresholds: StatusThresholds,
  nowMs: number,
): StatusReport => {
  const regions = readings.map((region) => deriveRegionHealth(region, thresholds, nowMs));
  return {
    checkedAt: new Date(nowMs).toISOString(),
    healthy: regions.every((region) => region.healthy),
    maxLagMs: thresholds.maxLagMs,
    regions,
  };
};
