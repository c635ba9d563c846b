import { type Paint, plain } from '../_shared/colour.js';
import type { BackfillReport } from './types.js';

const number = (value: number): string => value.toLocaleString('en-US');

/**
 * The summary table of a backfill run, for a terminal or a log: counts and capacity, never keys or
 * values. `paint` colours the result (green complete, red incomplete) and warnings (yellow: skipped,
 * failed, throttled). @default paint: no colour
 */
export const formatBackfillReport = (report: BackfillReport, paint: Paint = plain): string[] => {
  const warn = (count: number, text: string) => (count > 0 ? paint(text, 'yellow') : text);
  const skipped = Object.entries(report.skipCodes)
    .map(([code, count]) => `${code}: ${number(count)}`)
    .join(', ');
  const lines = [
    `dynasync backfill ${report.from} → ${report.to} (${report.tables.source} → ${report.tables.target}, ${report.settings.topology})`,
    '',
    `  result       ${report.complete ? paint('COMPLETE', 'green') : paint('INCOMPLETE: some items were not written (see skipped / failed)', 'red')}`,
    `  path         ${report.path.chosen === 'batch' ? 'fast path: BatchWriteItem' : 'conditional PutItem'} (${report.path.reason})`,
    `  scanned      ${number(report.scanned).padStart(10)}   source items read by this run (${number(report.pages)} pages)`,
    `  written      ${number(report.written).padStart(10)}   items written`,
    `  stale        ${number(report.stale).padStart(10)}   left alone: the target held newer data or a tombstone`,
    `  skipped      ${warn(report.skipped, number(report.skipped).padStart(10))}   not safe to write${skipped === '' ? '' : ` (${skipped})`}`,
    `  failed       ${warn(report.failed, number(report.failed).padStart(10))}   rejected by DynamoDB (too large, validation)`,
    `  resume       ${report.resume.resumed ? `resumed: ${number(report.resume.itemsBefore)} items and ${report.resume.segmentsDoneBefore} segments were done before` : 'new run'}; checkpoint ${report.resume.checkpoint ?? 'none'}`,
    `  capacity     read ${number(report.consumedCapacity.read)} units, write ${number(report.consumedCapacity.write)} units${report.consumedCapacity.estimated ? ' (partly estimated from item sizes)' : ''}${report.settings.maxRps === null ? '' : `; --max-rps ${number(report.settings.maxRps)}`}${report.settings.maxWps === null ? '' : `; --max-wps ${number(report.settings.maxWps)}`}`,
    `  throttling   ${warn(report.throttles, number(report.throttles))} throttled requests; writes in flight ${report.settings.concurrency}, lowest ${report.minConcurrency}`,
    `  time         ${(report.durationMs / 1000).toFixed(1)} s, ${number(report.itemsPerSecond)} items/s, ${report.settings.segments} segments`,
  ];
  return lines;
};
