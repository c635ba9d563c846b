import { localEndpointFlags } from '../../../core/config/localEndpoint.js';
import type { Config } from '../../../core/config/types.js';
import {
  type OnFailureBatch,
  type RedriveOutcome,
  RedriveOutcomes,
  type RedriveReport,
  type UnreadableMessage,
} from '../types.js';

/** The printed line of one letter's outcome. */
export const letterLine = (
  id: string,
  sequenceNumber: string | undefined,
  outcome: RedriveOutcome,
  targetRegions: readonly string[],
  code: string | undefined,
): string =>
  `${outcome.padEnd(11)} sequence ${sequenceNumber ?? '?'} → ${targetRegions.join(', ') || '(no peer)'}${code === undefined ? '' : ` (${code}; letter ${id})`}`;

/** The printed line of what the store held that a redrive cannot replay (with what to run instead). */
export const notReplayableLine = (
  item: OnFailureBatch | UnreadableMessage,
  region: string,
  regions: Config['regions'],
): string =>
  item.kind === 'unreadable'
    ? `unreadable  ${item.where}: ${item.reason}; left in the store`
    : `onFailure   ${item.where}: Lambda gave up on ${item.batchSize} record${item.batchSize === 1 ? '' : 's'} of shard ${item.shardId} (sequence ${item.startSequenceNumber} … ${item.endSequenceNumber}${item.condition === undefined ? '' : `, ${item.condition}`}); they may be missing from the peers, and the record holds positions only: run "dynasync verify --from ${region} --to <peer> --repair${localEndpointFlags(regions)}" for each peer (or "dynasync backfill --from ${region} --to <peer> --resume${localEndpointFlags(regions)}" to seed one)`;

/** The printed summary of a redrive (or of a dry run). */
export const summaryLine = (report: RedriveReport, dryRun: boolean): string => {
  const summary = dryRun
    ? `dry run: ${report.entries.filter((e) => e.outcome === RedriveOutcomes.wouldApply).length} would be written, ${report.entries.filter((e) => e.outcome === RedriveOutcomes.wouldSkip).length} are stale, ${report.entries.filter((e) => e.outcome === RedriveOutcomes.wouldFail).length} would fail`
    : `redrive: ${report.replayed} replayed, ${report.stale} stale (targets already newer), ${report.failedAgain} failed again` +
      (report.duplicates > 0 ? `, ${report.duplicates} duplicate copies removed with them` : '');
  const unread =
    report.unreadable + report.onFailureBatches === 0
      ? ''
      : `; not replayable: ${report.unreadable} unreadable, ${report.onFailureBatches} Lambda on-failure batch${report.onFailureBatches === 1 ? '' : 'es'}${report.onFailureBatches > 0 ? ' (possible loss: see above)' : ''}`;
  return summary + unread;
};
