import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import type { DeadLetter, DeadLetterSink } from './deadLetter/types.js';
import { isConflictResult, storedItemOf } from './merge/mergeResults.js';
import type { PeerWriter } from './PeerWriter.js';
import { type PlanContext, planBatch } from './planBatch.js';
import {
  type BatchCounts,
  type BatchResult,
  SkipReasons,
  type StreamRecord,
  WriteOutcomes,
  type WriteResult,
} from './types.js';

const errorName = (error: unknown): string => (error instanceof Error ? error.name : typeof error);

/**
 * The logging methods the replicator uses; a Powertools `Logger` fits. Log lines carry codes,
 * sequence numbers, regions and counts — never item values or keys (nor the text of errors that may quote them).
 */
export type ReplicatorLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** Everything {@link processBatch} needs; all I/O is injected. */
export interface ProcessBatchDeps {
  readonly context: PlanContext;
  readonly writer: PeerWriter;
  readonly deadLetters: DeadLetterSink;
  readonly logger: ReplicatorLogger;
  readonly configVersion: string;
  /** Called once per peer write with its outcome, right after it ends (metrics, lag probes). */
  readonly onWriteResult?: (result: WriteResult) => void;
  readonly now?: () => number;
  /** Applied to every letter before it is stored: strips clear values for masking peers (`letterProtector`). @default as it is */
  readonly protectLetter?: (letter: DeadLetter) => DeadLetter;
}

/**
 * A dead letter's id: the same for the same record, target and error, so a batch redelivered after a
 * crash (dead-lettered, then killed before its checkpoint) yields the same letter again, which
 * redrive collapses.
 */
export const deadLetterId = (
  sourceRegion: string,
  record: StreamRecord,
  index: number,
  targets: readonly string[],
  code: string,
): string =>
  createHash('sha256')
    .update(
      JSON.stringify([
        sourceRegion,
        record.dynamodb?.SequenceNumber ?? record.eventID ?? `#${index}`,
        [...targets].sort(),
        code,
      ]),
    )
    .digest('hex')
    .slice(0, 32);

/** Counts of a batch of `records` before anything happened (every count 0). */
export const emptyCounts = (records: number): BatchCounts => ({
  records,
  changes: 0,
  applied: 0,
  stale: 0,
  deadLettered: 0,
  unfinished: 0,
  retried: 0,
  skipped: Object.fromEntries(
    Object.values(SkipReasons).map((reason) => [reason, 0]),
  ) as BatchCounts['skipped'],
});

/**
 * Processes one stream batch: plan (pure), write to peers, dead-letter what cannot be written, and
 * report the first unfinished record so the stream resumes there.
 *
 * A record is finished when every peer write covering it ended `applied`, `stale` or dead-lettered,
 * or when it needed no write. Lambda resumes at the reported sequence number and redelivers
 * everything after it: records already applied then come back `stale`, which is harmless.
 *
 * ```
 * #0 applied  #1 applied  #2 unfinished  #3 applied   →  batchItemFailures: [#2]
 * ```
 */
export const processBatch = async (
  records: readonly StreamRecord[],
  deadlineMs: number,
  deps: ProcessBatchDeps,
): Promise<BatchResult> => {
  const now = deps.now ?? Date.now;
  const counts = emptyCounts(records.length);
  const plan = planBatch(records, deps.context);
  for (const { reason } of plan.skipped) counts.skipped[reason] += 1;
  counts.changes = new Set(plan.writes.map((write) => write.change.keyId)).size;

  const results: WriteResult[] = await deps.writer.sendAll(plan.writes, deadlineMs, deps.onWriteResult);
  const unfinished = new Set<number>();
  const letters: Array<{ indexes: readonly number[]; letter: DeadLetter }> = [];
  let newestAppliedMs: number | undefined;
  const peers: Record<string, { applied: number; stale: number; newestAppliedVersionMs?: number }> = {};
  const peerOf = (peer: string) => {
    peers[peer] ??= { applied: 0, stale: 0 };
    return peers[peer];
  };

  for (const result of results) {
    counts.retried += Math.max(0, result.attempts - 1);
    if (isConflictResult(result)) counts.conflicts = (counts.conflicts ?? 0) + 1;
    switch (result.outcome) {
      case WriteOutcomes.applied:
        counts.applied += 1;
        newestAppliedMs = Math.max(newestAppliedMs ?? 0, result.write.change.record.createdAtMs);
        {
          const peer = peerOf(result.write.peer);
          peer.applied += 1;
          // A derived version's time is the stream time: no truer than the stream lag.
          if (!result.write.change.derived) {
            peer.newestAppliedVersionMs = Math.max(
              peer.newestAppliedVersionMs ?? 0,
              result.write.change.version.physicalMs,
            );
          }
        }
        break;
      case WriteOutcomes.stale:
        counts.stale += 1;
        peerOf(result.write.peer).stale += 1;
        break;
      case WriteOutcomes.unfinished:
        counts.unfinished += 1;
        for (const index of result.write.recordIndexes) unfinished.add(index);
        break;
      case WriteOutcomes.permanent: {
        const error = result.error!;
        const index = result.write.change.record.index;
        const at = result.lastFailureAt ?? new Date(now()).toISOString();
        letters.push({
          indexes: result.write.recordIndexes,
          letter: {
            id: deadLetterId(deps.context.region, records[index]!, index, [result.write.peer], error.code),
            kind: 'streamRecord',
            record: records[index]!,
            sourceRegion: deps.context.region,
            targetRegions: [result.write.peer],
            error: { code: error.code, message: error.message },
            attempts: result.attempts,
            firstFailureAt: result.firstFailureAt ?? at,
            lastFailureAt: at,
            configVersion: deps.configVersion,
            ...storedItemOf(result),
          },
        });
        break;
      }
    }
  }
  const at = new Date(now()).toISOString();
  for (const { index, error, peers = deps.context.peers } of plan.rejected) {
    letters.push({
      indexes: [index],
      letter: {
        id: deadLetterId(deps.context.region, records[index]!, index, peers, error.code),
        kind: 'streamRecord',
        record: records[index]!,
        sourceRegion: deps.context.region,
        targetRegions: [...peers],
        error: { code: error.code, message: error.message },
        attempts: 0,
        firstFailureAt: at,
        lastFailureAt: at,
        configVersion: deps.configVersion,
      },
    });
  }

  if (letters.length > 0 && deps.protectLetter !== undefined) {
    const protect = deps.protectLetter;
    for (const entry of letters) entry.letter = protect(entry.letter);
  }
  if (letters.length > 0) {
    let stored = false;
    try {
      await deps.deadLetters.send(letters.map(({ letter }) => letter));
      stored = true;
    } catch (cause) {
      const error = new DynasyncError(
        ErrorCodes.deadLetterFailed,
        'dead-letter sink failed; the records stay on the stream',
        { cause },
      );
      // The cause's name only: a foreign error's text may quote the data it failed to store.
      deps.logger.error(error.message, {
        code: error.code,
        records: letters.length,
        cause: errorName(cause),
      });
      for (const { indexes } of letters) for (const index of indexes) unfinished.add(index);
    }
    if (stored) {
      counts.deadLettered = letters.length;
      for (const { letter } of letters) {
        // Codes and positions only; the message (which may quote the peer's error) stays in the dead letter.
        deps.logger.warn('record dead-lettered', {
          code: letter.error.code,
          sequenceNumber: letter.record.dynamodb?.SequenceNumber,
          targetRegions: letter.targetRegions,
        });
      }
    }
  }

  const firstUnfinished = unfinished.size === 0 ? undefined : Math.min(...unfinished);
  const batchItemFailures =
    firstUnfinished === undefined
      ? []
      : [{ itemIdentifier: records[firstUnfinished]?.dynamodb?.SequenceNumber ?? '' }];
  const lagMs = newestAppliedMs === undefined ? undefined : Math.max(0, now() - newestAppliedMs);
  deps.logger.info('batch processed', { ...counts, lagMs, resumeAt: batchItemFailures[0]?.itemIdentifier });
  return { batchItemFailures, counts, lagMs, peers };
};
