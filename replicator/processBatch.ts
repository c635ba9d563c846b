import type { Logger } from '@aws-lambda-powertools/logger';
import { ErrorCodes } from '../core/errors.js';
import { errorFacts } from './_internals/errorFacts.js';
import { foldWriteResults } from './_internals/foldWriteResults.js';
import { type LetterCandidate, type LetterContext, rejectedCandidate } from './_internals/letterCandidate.js';
import { storeLetters } from './_internals/storeLetters.js';
import type { DeadLetter, DeadLetterSink } from './deadLetter/types.js';
import { sequenceNumberOf } from './decodeRecord.js';
import type { PeerWriteResult, PeerWrites } from './PeerWrites.js';
import { type PlanContext, planBatch } from './planBatch.js';
import {
  BATCH_SEGMENT,
  noTracing,
  peerSegmentName,
  type ReplicatorTracing,
  type TraceSpan,
} from './tracing.js';
import {
  type BatchCounts,
  type BatchResult,
  type PlannedWrite,
  SkipReasons,
  type StreamRecord,
  type WritePlan,
  type WriteResult,
} from './types.js';

/**
 * The logging methods the replicator uses; a Powertools `Logger` fits. Log lines carry codes,
 * sequence numbers, regions and counts — never item values or keys (nor the text of errors that may quote them).
 */
export type ReplicatorLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** Everything {@link processBatch} needs; all I/O is injected. */
export interface ProcessBatchDeps {
  readonly context: PlanContext;
  readonly writer: PeerWrites;
  readonly deadLetters: DeadLetterSink;
  readonly logger: ReplicatorLogger;
  readonly configVersion: string;
  /** Called once per peer write with its outcome, right after it ends (metrics, lag probes). */
  readonly onWriteResult?: (result: WriteResult) => void;
  readonly now?: () => number;
  /** Applied to every letter before it is stored: strips clear values for masking peers (`letterProtector`). @default as it is */
  readonly protectLetter?: (letter: DeadLetter) => DeadLetter;
  /**
   * X-Ray subsegments: one per batch (`## dynasync.batch`, annotated with the batch's counts) and one
   * per peer written to (`peer <region>`, annotated with its writes' outcomes). Counts only, never values.
   * @default no tracing
   */
  readonly tracing?: ReplicatorTracing;
}

/** A dead letter's id (defined in `deadLetter/deadLetterId.ts`). */
export { deadLetterId } from './deadLetter/deadLetterId.js';

/** Counts of a batch of `records` before anything happened (every count 0). */
export const emptyCounts = (records: number): BatchCounts => ({
  records,
  changes: 0,
  applied: 0,
  stale: 0,
  deadLettered: 0,
  malformed: 0,
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
 * A record is dead-lettered only when it lies *before* the first unfinished record: one after it
 * comes back with the redelivery and is dead-lettered when its turn comes, so each record gets one
 * letter however often the stream redelivers its batch.
 *
 * ```
 * #0 applied  #1 bad → letter  #2 unfinished  #3 bad (no letter yet)  #4 applied  →  batchItemFailures: [#2]
 * redelivery: #2 applied  #3 bad → letter  #4 stale                               →  batchItemFailures: []
 * ```
 */
export const processBatch = (
  records: readonly StreamRecord[],
  deadlineMs: number,
  deps: ProcessBatchDeps,
): Promise<BatchResult> =>
  (deps.tracing ?? noTracing).trace(BATCH_SEGMENT, async (span) => {
    const result = await processUntraced(records, deadlineMs, deps);
    annotateCounts(span, result.counts);
    return result;
  });

/** The batch's counts on its subsegment (X-Ray indexes annotations: filter traces by `deadLettered > 0`). */
const annotateCounts = (span: TraceSpan, counts: BatchCounts): void => {
  span.annotate('records', counts.records);
  span.annotate('changes', counts.changes);
  span.annotate('applied', counts.applied);
  span.annotate('stale', counts.stale);
  span.annotate('deadLettered', counts.deadLettered);
  span.annotate('unfinished', counts.unfinished);
  span.annotate('retried', counts.retried);
  span.annotate('malformed', counts.malformed ?? 0);
  span.annotate('echoes', counts.skipped.echo);
  if (counts.conflicts !== undefined) span.annotate('conflicts', counts.conflicts);
};

/** What one batch's writes to one peer came to, while they run. */
interface PeerTrace {
  readonly span: TraceSpan;
  writes: number;
  remaining: number;
  applied: number;
  stale: number;
  permanent: number;
  unfinished: number;
  retried: number;
}

const closePeerTrace = (trace: PeerTrace): void => {
  trace.span.annotate('writes', trace.writes);
  trace.span.annotate('applied', trace.applied);
  trace.span.annotate('stale', trace.stale);
  trace.span.annotate('permanent', trace.permanent);
  trace.span.annotate('unfinished', trace.unfinished);
  trace.span.annotate('retried', trace.retried);
  trace.span.close();
};

/**
 * Sends the plan's writes (all peers at once, as the writer bounds them) with one subsegment per
 * peer, opened before the first write and closed when the peer's last write ends.
 */
const sendTraced = async (
  writes: readonly PlannedWrite[],
  deadlineMs: number,
  deps: ProcessBatchDeps,
): Promise<PeerWriteResult[]> => {
  const tracing = deps.tracing ?? noTracing;
  const traces = new Map<string, PeerTrace>();
  for (const write of writes) {
    let trace = traces.get(write.peer);
    if (trace === undefined) {
      const span = tracing.open(peerSegmentName(write.peer));
      span.annotate('peer', write.peer);
      trace = {
        span,
        writes: 0,
        remaining: 0,
        applied: 0,
        stale: 0,
        permanent: 0,
        unfinished: 0,
        retried: 0,
      };
      traces.set(write.peer, trace);
    }
    trace.writes += 1;
    trace.remaining += 1;
  }
  const onResult = (result: WriteResult): void => {
    deps.onWriteResult?.(result);
    const trace = traces.get(result.write.peer);
    if (trace === undefined) return;
    trace[result.outcome] += 1;
    trace.retried += Math.max(0, result.attempts - 1);
    trace.remaining -= 1;
    if (trace.remaining === 0) closePeerTrace(trace);
  };
  try {
    return await deps.writer.sendAll(writes, deadlineMs, onResult);
  } finally {
    // A writer that threw (a bug, a missing client) leaves spans open: close them with what they saw.
    for (const trace of traces.values()) if (trace.remaining > 0) closePeerTrace(trace);
  }
};

const processUntraced = async (
  records: readonly StreamRecord[],
  deadlineMs: number,
  deps: ProcessBatchDeps,
): Promise<BatchResult> => {
  const now = deps.now ?? Date.now;
  const counts = emptyCounts(records.length);
  const plan = planBatch(records, deps.context);
  for (const { reason } of plan.skipped) counts.skipped[reason] += 1;
  counts.changes = new Set(plan.writes.map((write) => write.change.keyId)).size;

  const results = await sendTraced(plan.writes, deadlineMs, deps);
  const letterContext: LetterContext = {
    records,
    sourceRegion: deps.context.region,
    configVersion: deps.configVersion,
    now,
  };
  const { unfinished, candidates, unfinishedByPeer, newestAppliedMs, peers } = foldWriteResults(
    results,
    counts,
    letterContext,
  );
  logUnfinishedPeers(deps.logger, unfinishedByPeer);
  collectRejected(plan.rejected, new Date(now()).toISOString(), deps, letterContext, counts, candidates);

  // Records after the first unfinished one are redelivered with it: their letters wait for that delivery.
  const firstWriteUnfinished = unfinished.size === 0 ? undefined : Math.min(...unfinished);
  const letters = candidates.filter(
    ({ index }) => firstWriteUnfinished === undefined || index < firstWriteUnfinished,
  );
  const deferredLetters = candidates.length - letters.length;
  await storeLetters(letters, deps, unfinished, counts);

  const firstUnfinished = unfinished.size === 0 ? undefined : Math.min(...unfinished);
  const batchItemFailures =
    firstUnfinished === undefined
      ? []
      : [{ itemIdentifier: sequenceNumberOf(records[firstUnfinished]) ?? '' }];
  const lagMs = newestAppliedMs === undefined ? undefined : Math.max(0, now() - newestAppliedMs);
  deps.logger.info('batch processed', {
    ...counts,
    lagMs,
    resumeAt: batchItemFailures[0]?.itemIdentifier,
    ...(deferredLetters === 0 ? {} : { deadLettersDeferred: deferredLetters }),
  });
  return { batchItemFailures, counts, lagMs, peers };
};

/**
 * One line per peer that holds records back, naming the error (never its text, which may quote values):
 * a missing table, AccessDenied or refused connections would otherwise show only as "unfinished".
 */
const logUnfinishedPeers = (
  logger: ReplicatorLogger,
  unfinishedByPeer: ReadonlyMap<string, { readonly writes: number; readonly cause: unknown }>,
): void => {
  for (const [peer, { writes, cause }] of unfinishedByPeer) {
    logger.warn('peer writes unfinished: the stream will redeliver them', {
      code: ErrorCodes.replicator.writeRejected,
      peer,
      writes,
      ...errorFacts(cause),
    });
  }
};

/** Adds the letters of the plan's rejected records to `candidates` (an empty entry has none: logged) and counts the malformed. */
const collectRejected = (
  rejected: WritePlan['rejected'],
  at: string,
  deps: ProcessBatchDeps,
  context: LetterContext,
  counts: BatchCounts,
  candidates: LetterCandidate[],
): void => {
  for (const rejection of rejected) {
    const { index, error, peers = deps.context.peers } = rejection;
    if (error.code === ErrorCodes.replicator.malformedRecord) counts.malformed = (counts.malformed ?? 0) + 1;
    const record: unknown = context.records[index];
    if (record === null || record === undefined) {
      // Nothing to keep: a hole in the batch. Counted and logged; the rest of the batch goes on.
      deps.logger.warn('malformed record: an empty entry in the batch, nothing to dead-letter', {
        code: error.code,
        index,
      });
      continue;
    }
    candidates.push(rejectedCandidate(rejection, peers, at, context));
  }
};
