import type { TotalsSnapshot } from './BatchStats.js';

/** A duration for people: `850ms`, `12.3s`, `4m 05s`, `2h 03m`, `3d 04h`. */
export const formatDuration = (ms: number): string => {
  const value = Math.max(0, Math.round(ms));
  if (value < 1_000) return `${value}ms`;
  if (value < 60_000) return `${(value / 1_000).toFixed(1)}s`;
  const seconds = Math.floor(value / 1_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m ${pad(seconds % 60)}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3_600)}h ${pad(Math.floor((seconds % 3_600) / 60))}m`;
  return `${Math.floor(seconds / 86_400)}d ${pad(Math.floor((seconds % 86_400) / 3_600))}h`;
};

/** Which figure a lag comes from. */
export interface LagFigures {
  /** From the version time (`_ds_v`) of the newest applied change: exact to the writers' clocks. */
  readonly versionLagMs?: number | undefined;
  /** From stream times: whole minutes on DynamoDB Local. */
  readonly streamLagMs?: number | undefined;
  /** True when stream times are coarse (the endpoint is local). */
  readonly coarseStreamTimes: boolean;
}

/**
 * The lag to show: the version-time lag when there is one (`lag 120ms`); otherwise the stream-time
 * lag, always marked approximate (`lag≈1m 00s`), and `(coarse)` when stream times are whole minutes.
 * `lag –` when nothing was applied yet.
 */
export const formatLag = (lag: LagFigures): string => {
  if (lag.versionLagMs !== undefined) return `lag ${formatDuration(lag.versionLagMs)}`;
  if (lag.streamLagMs !== undefined)
    return `lag≈${formatDuration(lag.streamLagMs)}${lag.coarseStreamTimes ? ' (coarse)' : ''}`;
  return 'lag –';
};

/** What the live line and the summary of `dynasync run` say besides the totals. */
export interface TotalsView {
  readonly region: string;
  /** Lag from stream times is only a rough figure (DynamoDB Local rounds them to whole minutes). */
  readonly coarseStreamTimes: boolean;
  readonly startedAtMs: number;
  readonly nowMs: number;
}

/**
 * The one-line live view of `dynasync run` on a terminal.
 * @example
 * formatLiveLine(totals, { region: 'eu-west-1', coarseStreamTimes: false, startedAtMs, nowMs })
 * // "eu-west-1 ▸ applied 120 · stale 3 · dead-lettered 0 · unfinished 0 · lag 85ms · up 2m 10s"
 */
export const formatLiveLine = (totals: TotalsSnapshot, context: TotalsView): string =>
  [
    `${context.region} ▸ applied ${totals.applied}`,
    `stale ${totals.stale}`,
    `dead-lettered ${totals.deadLettered}`,
    `unfinished ${totals.unfinished}`,
    formatLag({ ...totals, coarseStreamTimes: context.coarseStreamTimes }),
    `up ${formatDuration(context.nowMs - context.startedAtMs)}`,
  ].join(' · ');

/** The lines `dynasync run` prints on a terminal when it stops. */
export const formatSummary = (totals: TotalsSnapshot, context: TotalsView): string[] => {
  const lines = [
    `dynasync run ${context.region}: stopped after ${formatDuration(context.nowMs - context.startedAtMs)}`,
    `  records read   ${totals.records} in ${totals.batches} batches (${totals.skipped} skipped)`,
    `  applied        ${totals.applied}`,
    `  stale          ${totals.stale}`,
    `  dead-lettered  ${totals.deadLettered}`,
    `  unfinished     ${totals.unfinished}`,
    `  last           ${formatLag({ ...totals, coarseStreamTimes: context.coarseStreamTimes })}`,
  ];
  for (const [peer, p] of Object.entries(totals.peers)) {
    const last =
      p.lastAppliedVersionMs === undefined ? 'never' : new Date(p.lastAppliedVersionMs).toISOString();
    lines.push(`  → ${peer}: applied ${p.applied}, stale ${p.stale}, last applied version ${last}`);
  }
  if (totals.versionLagMs === undefined && totals.streamLagMs !== undefined && context.coarseStreamTimes)
    lines.push('  (lag≈ comes from stream times, which DynamoDB Local rounds to whole minutes)');
  return lines;
};

/** True when an endpoint is on this machine (DynamoDB Local): its stream times are whole minutes. */
export const isLocalEndpoint = (endpoint: string | undefined): boolean => {
  if (endpoint === undefined) return false;
  try {
    const host = new URL(endpoint).hostname;
    return (
      host === 'localhost' || host === '[::1]' || host === '::1' || /^127\./.test(host) || host === '0.0.0.0'
    );
  } catch {
    return false;
  }
};
