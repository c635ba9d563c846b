import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { linkedAbort } from '../../../core/async/linkedAbort.js';
import { decodeItem, encodeItem } from '../../../core/codec.js';
import type { Item, WireItem } from '../../../core/types.js';
import { scanTable } from '../../_shared/scanTable.js';
import { TokenBucket } from '../../_shared/TokenBucket.js';
import type { PageSpiller, Side } from '../../verify/_internals/pageSpiller.js';
import type { SegmentContinuation } from '../protocol.js';
import type { VerifyJob } from './verifyJob.js';
import type { ScanStats } from './verifyJobStats.js';
import type { VerifyTaskContext } from './verifyTaskContext.js';

/** One invocation's read of one segment of both tables. */
export interface ScanSegmentSidesInput {
  readonly job: VerifyJob;
  readonly segment: number;
  /** Where earlier invocations stopped; `undefined` for the first. */
  readonly continuation: SegmentContinuation | undefined;
  /** Stop after the page during which `context.clock()` reaches it. */
  readonly deadlineAt: number;
  /** Gets every page's body. */
  readonly spiller: PageSpiller;
  /** Items scanned and units consumed are added here. */
  readonly stats: ScanStats;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Scans segment `segment` of both tables side by side into the spiller, each side from where the
 * continuation left it, until both end or the deadline passes. The first side to fail stops the other.
 *
 * ```
 * source  ── page ── page ── page ─┤ deadline: stop after the page ─► resume at its last key
 * target  ── page ── page ─┤ end of segment ─► null (read to the end)
 * ```
 * @returns where each side should resume: `null` once read to the end.
 * @throws the first side's error.
 */
export const scanSegmentSides = async (
  context: VerifyTaskContext,
  input: ScanSegmentSidesInput,
): Promise<Record<Side, WireItem | null>> => {
  const { job, continuation, stats, signal } = input;
  const { spec, options } = job;
  const resumeAt: Record<Side, WireItem | null> = { source: null, target: null };
  const share = spec.maxRps === undefined ? undefined : spec.maxRps / spec.concurrency;
  const scans = linkedAbort(signal);
  let failure: unknown;
  const scanSide = async (side: Side, client: DynamoDBClient, tableName: string): Promise<void> => {
    const from = continuation?.[side];
    if (from === null) return; // this side was read to the end by an earlier invocation
    const start = from === undefined ? undefined : decodeItem(from, 'continuation');
    try {
      const totals = await scanTable({
        tool: 'verify',
        client,
        tableName,
        segments: spec.totalSegments,
        only: [input.segment],
        startAt: () => ({
          done: false,
          ...(start === undefined ? {} : { exclusiveStartKey: start as never }),
        }),
        ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
        ...(share === undefined ? {} : { limiter: new TokenBucket({ ratePerSecond: share }) }),
        retry: context.retry,
        signal: scans.signal,
        onBody: (body) => input.spiller.page(side, body),
        onPage: (items, units) => {
          stats.scanned[side] += items;
          stats.consumed[side] += units;
        },
        stopAfterPage: () => context.clock() >= input.deadlineAt,
        onSegmentEnd: (_, key) => {
          resumeAt[side] = key === undefined ? null : encodeItem(key as Item);
        },
      });
      stats.consumed.estimated ||= totals.estimated;
    } catch (error) {
      if (!scans.signal.aborted) failure ??= error;
      scans.abort();
    }
  };
  await Promise.all([
    scanSide('source', job.sourceClient, job.sourceTable),
    scanSide('target', job.targetClient, job.targetTable),
  ]);
  scans.dispose();
  if (failure !== undefined) throw failure;
  return resumeAt;
};
