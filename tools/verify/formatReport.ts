import { type Paint, plain } from '../_shared/colour.js';
import { type Difference, RepairOutcomes, type VerifyReport } from './types.js';

const number = (value: number): string => value.toLocaleString('en-US');

const megabytes = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MB`;

/** One line of a difference for the terminal: kind, key hash, attribute names. Never keys or values. */
export const formatDifference = (difference: Difference): string => {
  const parts = [difference.kind.padEnd(9), difference.keyHash];
  if (difference.was !== undefined) parts.push(`(was ${difference.was})`);
  if (difference.attributes.length > 0) parts.push(`attributes: ${difference.attributes.join(', ')}`);
  if (difference.repair !== undefined)
    parts.push(
      `→ ${difference.repair.outcome} ${difference.repair.action}${difference.repair.code === undefined ? '' : ` (${difference.repair.code})`}`,
    );
  return parts.join('  ');
};

/**
 * The summary table of a verify run, for a terminal or a log. Counts, capacity, method and the first
 * differences by key hash and attribute names: no key and no value is ever printed here. `paint`
 * colours the result (green in sync, red not) and warnings (yellow: rejected items, failed repairs).
 * @default paint: no colour
 */
export const formatReport = (report: VerifyReport, paint: Paint = plain): string[] => {
  const { counts } = report;
  const drift = counts.missing + counts.extra + counts.different;
  const rejections = Object.entries(report.pipelineRejected).sort(([a], [b]) => a.localeCompare(b));
  const rejected = rejections.reduce((sum, [, count]) => sum + count, 0);
  const result = report.inSync
    ? paint('IN SYNC', 'green')
    : paint(
        drift > 0
          ? `DRIFT: ${number(drift)} key${drift === 1 ? '' : 's'} differ`
          : `NOT IN SYNC: ${number(rejected)} source item${rejected === 1 ? '' : 's'} the pipeline rejected`,
        'red',
      );
  const warn = (count: number, text: string) => (count > 0 ? paint(text, 'yellow') : text);
  const lines = [
    `dynasync verify ${report.from} → ${report.to} (${report.tables.source} → ${report.tables.target}, ${report.settings.topology}${report.settings.versionsCompared ? '' : ', versions not compared'})`,
    '',
    `  result       ${result}`,
    `  missing      ${number(counts.missing).padStart(10)}   in ${report.from}, not in ${report.to}`,
    `  extra        ${number(counts.extra).padStart(10)}   in ${report.to}, not in ${report.from}`,
    `  different    ${number(counts.different).padStart(10)}   in both, attributes or version differ`,
    `  settled      ${number(counts.settled).padStart(10)}   changed during the scan, agree on a consistent re-read: not drift`,
    `  rejected     ${warn(rejected, number(rejected).padStart(10))}   live in ${report.from}, rejected by ${report.to}'s pipeline (dead-lettered), so absent${rejections.length === 0 ? '' : `: ${rejections.map(([code, count]) => `${code} ${number(count)}`).join(', ')}`}`,
    `  scanned      ${report.from}: ${number(report.scanned.source)} items (${number(report.live.source)} live, ${number(report.tombstones.source)} tombstones); ${report.to}: ${number(report.scanned.target)} items (${number(report.live.target)} live, ${number(report.tombstones.target)} tombstones)`,
    `  read units   ${report.from}: ${number(report.consumedCapacity.source)}; ${report.to}: ${number(report.consumedCapacity.target)}${report.consumedCapacity.estimated ? ' (estimated from item sizes)' : ' (consumed, as DynamoDB reported)'}${report.settings.maxRps === null ? '' : `; limit ${number(report.settings.maxRps)}/s per table`}`,
    `  method       ${report.settings.segments} segments per table; ${report.method.partitions} partitions on disk (${megabytes(report.method.spilledBytes)} spilled, ${report.method.splits} split again); at most ${number(report.method.peakEntriesInMemory)} entries in memory (limit ${number(report.method.maxEntriesInMemory)}); ${number(report.method.candidates)} keys re-read consistently`,
    `  time         ${(report.durationMs / 1000).toFixed(1)} s, ${number(report.itemsPerSecond)} items/s`,
  ];
  if (report.scaleout !== undefined)
    lines.push(
      `  job          ${report.scaleout.jobId}: ${report.scaleout.segmentsScanned} of ${report.settings.segments} segments${report.scaleout.sample < 1 ? ` (sample ${report.scaleout.sample}: the counts cover those segments only)` : ''}${report.scaleout.shuffled ? '; compared by output-key partition (the pipeline changes keys)' : ''}`,
    );
  if (report.repair !== undefined) {
    const r = report.repair.counts;
    lines.push(
      report.repair.dryRun
        ? `  repair       dry run: ${number(r[RepairOutcomes.wouldRepair])} would be written, ${number(r[RepairOutcomes.wouldSkip])} would be left alone`
        : `  repair       ${number(r.repaired)} repaired, ${number(r.stale)} stale (target changed or newer: left alone), ${warn(r.failed, `${number(r.failed)} failed`)}, ${number(r.skipped)} skipped`,
    );
  }
  if (report.sample.length > 0) {
    lines.push('', 'first differences (keys as hashes; --output writes the keys):');
    for (const difference of report.sample) lines.push(`  ${formatDifference(difference)}`);
  }
  return lines;
};
