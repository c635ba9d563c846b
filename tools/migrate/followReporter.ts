import type { StreamSyncStats } from './MigrateApplier.js';

const number = (value: number): string => value.toLocaleString('en-US');

const compactFormat = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** Exact below 10,000 (`1,204`), compact above (`12.3K`, `4.5M`), so the live line stays narrow. */
const compact = (value: number): string => (value < 10_000 ? number(value) : compactFormat.format(value));

const duration = (ms: number): string => {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const two = (n: number) => String(n).padStart(2, '0');
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m${two(seconds % 60)}s`;
  return `${Math.floor(seconds / 3_600)}h${two(Math.floor((seconds % 3_600) / 60))}m`;
};

/** Seconds the newest applied change is behind `now`; `undefined` before the first one. */
const lagOf = (stats: StreamSyncStats, now: number): number | undefined =>
  stats.lastStreamTimeMs === undefined
    ? undefined
    : Math.max(0, Math.round((now - stats.lastStreamTimeMs) / 1000));

/**
 * The compact live line of `migrate --follow` on a terminal, at most 79 columns: records, derived
 * puts and deletes, failures, lag of the newest change, time followed (counts from 10,000 compact).
 * @example
 * formatFollowLine(stats, 65_000, now) // 'sync 1,204 rec | 1,180 put 24 del | 3 stale 0 failed | lag 2s | 1m05s'
 */
export const formatFollowLine = (stats: StreamSyncStats, followedMs: number, now: number): string => {
  const lag = lagOf(stats, now);
  const line = `sync ${compact(stats.records)} rec | ${compact(stats.puts)} put ${compact(stats.deletes)} del | ${compact(stats.stale)} stale ${compact(stats.failed)} failed | lag ${lag === undefined ? '--' : duration(lag * 1000)} | ${duration(followedMs)}`;
  return line.length < 80 ? line : `${line.slice(0, 78)}…`;
};

/** The periodic JSON line of `migrate --follow` off a terminal (a log, a pipe): the counts as numbers. */
export const formatFollowJson = (stats: StreamSyncStats, followedMs: number, now: number): string =>
  JSON.stringify({
    event: 'migrate.follow',
    records: stats.records,
    puts: stats.puts,
    deletes: stats.deletes,
    applied: stats.applied,
    stale: stats.stale,
    failed: stats.failed,
    lagSeconds: lagOf(stats, now) ?? null,
    followedMs,
  });

/** The summary `migrate --follow` prints when SIGINT/SIGTERM ends the sync: what it did while followed. */
export const formatFollowSummary = (
  stats: StreamSyncStats,
  atReport: StreamSyncStats,
  followedMs: number,
): string[] => [
  `stream sync stopped after ${duration(followedMs)} of follow (checkpoint saved; a new run resumes it)`,
  `  records      ${number(stats.records).padStart(10)}   ${number(stats.records - atReport.records)} since the report`,
  `  derived      ${number(stats.puts).padStart(10)}   puts, ${number(stats.deletes)} obsolete items tombstoned`,
  `  applied      ${number(stats.applied).padStart(10)}   ${number(stats.stale)} stale (target newer)`,
  `  failed       ${number(stats.failed).padStart(10)}   ${stats.failed > atReport.failed ? `${number(stats.failed - atReport.failed)} since the report: not ready for cutover, see the log` : 'none since the report'}`,
];

/** Options of {@link followReporter}. */
export interface FollowReporterOptions {
  /** The live counts of the sync. */
  readonly stats: () => StreamSyncStats;
  /** A terminal gets one line redrawn in place; anything else gets a JSON line per tick. */
  readonly tty: boolean;
  /** Where the live output goes (stderr: stdout keeps the report). */
  readonly write: (text: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * The live output of `migrate --follow`: call `tick` on a timer (the command uses 1 s on a terminal,
 * 30 s otherwise) and `stop` once the sync has stopped, for the summary lines.
 */
export const followReporter = (options: FollowReporterOptions) => {
  const now = options.now ?? Date.now;
  const started = now();
  const atReport = { ...options.stats() };
  let drawn = false;
  return {
    tick(): void {
      const at = now();
      if (options.tty) {
        options.write(`\r\u001b[2K${formatFollowLine(options.stats(), at - started, at)}`);
        drawn = true;
      } else options.write(`${formatFollowJson(options.stats(), at - started, at)}\n`);
    },
    stop(): string[] {
      if (drawn) options.write('\r\u001b[2K');
      drawn = false;
      return formatFollowSummary(options.stats(), atReport, now() - started);
    },
  };
};
