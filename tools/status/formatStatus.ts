import { formatDuration, formatLag } from '../../replicator/poller/_internals/formatTotals.js';
import type { DeadLetterReading, RegionHealth, StatusReport } from './types.js';

const ago = (ms: number | undefined): string => (ms === undefined ? '' : ` (${formatDuration(ms)} ago)`);

const deadLetterText = (reading: DeadLetterReading): string => {
  switch (reading.source) {
    case 'file':
      return `${reading.waiting} in ${reading.path}${reading.unreadableLines > 0 ? ` (+${reading.unreadableLines} unreadable lines)` : ''}`;
    case 'sqs':
      return `${reading.waiting} in ${reading.queueUrl} (approximate)`;
    case 'none':
      return `not counted: ${reading.reason}`;
  }
};

const row = (label: string, value: string): string => `  ${label.padEnd(22)}${value}`;

/** The text of one region's health (pure). */
export const formatRegion = (region: RegionHealth): string[] => {
  const where =
    region.mode === 'run'
      ? `dynasync run, ${region.state}, status written ${region.statusAgeMs === undefined ? '?' : formatDuration(region.statusAgeMs)} ago`
      : region.mode === 'lambda'
        ? `Lambda ${region.functionName}`
        : 'no status';
  const lines = [`${region.region}  ${region.healthy ? 'HEALTHY' : 'UNHEALTHY'}  (${where})`];
  lines.push(
    row(
      'last applied version',
      `${region.lastAppliedVersionAt ?? ((region.totals?.applied ?? 0) > 0 ? 'unstamped writes (versions derived from stream times)' : 'none yet')}${ago(region.lastAppliedVersionAgeMs)}`,
    ),
    row(
      'lag',
      formatLag({
        versionLagMs: region.lagMs,
        streamLagMs: region.streamLagMs,
        coarseStreamTimes: region.streamLagCoarse,
      }).replace(/^lag ?/, ''),
    ),
  );
  if (region.totals !== undefined) {
    const t = region.totals;
    lines.push(
      row(
        'totals',
        `applied ${t.applied} · stale ${t.stale} · dead-lettered ${t.deadLettered} · unfinished ${t.unfinished}`,
      ),
    );
  }
  for (const peer of region.peers) {
    lines.push(
      row(
        `→ ${peer.peer}`,
        `applied ${peer.applied} · stale ${peer.stale} · last applied version ${peer.lastAppliedVersionAt ?? (peer.applied > 0 ? 'unstamped (derived from stream times)' : 'none yet')}${ago(peer.lastAppliedVersionAgeMs)}`,
      ),
    );
  }
  lines.push(row('dead letters waiting', deadLetterText(region.deadLetters)));
  lines.push(
    row(
      'checkpoint age',
      region.checkpointAgeMs === undefined ? 'no checkpoint' : formatDuration(region.checkpointAgeMs),
    ),
  );
  if (region.functionName !== undefined) {
    lines.push(
      row(
        'iterator age',
        region.iteratorAgeMs === null || region.iteratorAgeMs === undefined
          ? 'no datapoint in the last 10 minutes'
          : formatDuration(region.iteratorAgeMs),
      ),
    );
  }
  for (const problem of region.problems) lines.push(`  ! ${problem.message} (${problem.code})`);
  return lines;
};

/** The text report of one `dynasync status` round (pure). */
export const formatStatus = (report: StatusReport): string => {
  const lines = [
    `dynasync status at ${report.checkedAt}: ${report.healthy ? 'healthy' : 'UNHEALTHY'} (lag limit ${formatDuration(report.maxLagMs)})`,
  ];
  for (const region of report.regions) lines.push('', ...formatRegion(region));
  if (
    report.regions.some(
      (region) => region.streamLagCoarse && region.lagMs === undefined && region.streamLagMs !== undefined,
    )
  ) {
    lines.push('', 'lag≈ … (coarse): from stream times, which DynamoDB Local rounds to whole minutes');
  }
  return `${lines.join('\n')}\n`;
};
