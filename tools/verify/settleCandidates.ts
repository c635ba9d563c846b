import { rm } from 'node:fs/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MetadataNames } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import type { Item, WireItem } from '../../core/types.js';
import type { KeyHasher } from '../../keys/keyHasher.js';
import type { TokenBucket } from '../_shared/TokenBucket.js';
import type { RetryPolicy } from '../_shared/withRetries.js';
import { BATCH_GET_KEYS } from './_internals/batchGetConsistent.js';
import { readLines, SpillFiles } from './_internals/SpillFiles.js';
import { type ChunkSettler, createRepairer, settleChunk } from './_internals/settleChunk.js';
import type { ComparisonRules } from './digest.js';
import { VerifyErrorCodes, verifyError } from './errors.js';
import type { ObservationPair } from './settleDecision.js';
import type { Difference, DriftKind, RepairOutcome, SourceTransform, VerifyProgress } from './types.js';

/** Candidate chunks (of up to 100 keys) re-read at once. */
const CHUNK_CONCURRENCY = 4;

/** A key the scans disagreed on, waiting for its consistent re-read (one JSON line of a candidates file). */
export interface Candidate {
  /** The target key's canonical id. */
  readonly k: string;
  readonly tk: WireItem;
  /** The source key when the scan saw the key at the source; `null` for target-only keys. */
  readonly sk: WireItem | null;
  readonly was: DriftKind;
  readonly scanned: ObservationPair;
  readonly previous: ObservationPair;
}

/** Everything the settle phase needs: the run's tables, clients, rules and options. */
export interface SettleContext {
  readonly config: Config;
  readonly from: string;
  readonly to: string;
  readonly names: MetadataNames;
  readonly rules: ComparisonRules;
  readonly sourceKeyNames: readonly string[];
  readonly targetKeyNames: readonly string[];
  readonly sourceClient: DynamoDBClient;
  readonly targetClient: DynamoDBClient;
  readonly sourceTable: string;
  readonly targetTable: string;
  readonly limiters: { readonly source: TokenBucket | undefined; readonly target: TokenBucket | undefined };
  readonly retry: RetryPolicy;
  /** The peer's pipeline, rejections turned into no output. */
  readonly transform: SourceTransform;
  readonly sourceKeyOf: (targetKey: Item) => Item | undefined;
  readonly keyHashOf: KeyHasher;
  readonly settleSeconds: number;
  readonly settleRounds: number;
  readonly repairConcurrency: number;
  readonly repair: boolean;
  readonly dryRun: boolean;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly progress: (progress: VerifyProgress) => void;
  readonly signal?: AbortSignal;
  /** Folder for the next rounds' files. */
  readonly dir: string;
  /** Called once for each decided difference (settled ones included), in no particular order. */
  readonly emit: (difference: Difference) => Promise<void>;
}

/** What settling cost and how repairs went. */
export interface SettleTotals {
  consistentReads: number;
  spilledBytes: number;
  consumed: { source: number; target: number; estimated: boolean };
  repairCounts: Record<RepairOutcome, number>;
}

/** Repair outcomes, all zero. */
export const emptyRepairCounts = (): Record<RepairOutcome, number> => ({
  repaired: 0,
  stale: 0,
  failed: 0,
  skipped: 0,
  wouldRepair: 0,
  wouldSkip: 0,
});

/**
 * The settle phase of verify, the same for the local command and the scale-out settle task: the
 * candidates (one JSON line each in `firstRound`, closed) are re-read consistently after the grace
 * period, 100 keys per BatchGetItem, round by round, until each is settled or drift.
 *
 * ```
 * scan ends (scanEndedAt) ── settle s ──► round 1 re-read ── settle s ──► round 2 (rechecks only) … ≤ settleRounds
 * ```
 */
export const settleCandidates = async (
  context: SettleContext,
  firstRound: SpillFiles,
  candidateCount: number,
  scanEndedAt: number,
): Promise<SettleTotals> => {
  const totals: SettleTotals = {
    consistentReads: 0,
    spilledBytes: 0,
    consumed: { source: 0, target: 0, estimated: false },
    repairCounts: emptyRepairCounts(),
  };
  const settle: ChunkSettler = { context, totals, repair: createRepairer(context) };
  let roundFile = firstRound;
  let pending = candidateCount;
  let lastReadAt = scanEndedAt;
  for (let round = 1; pending > 0; round += 1) {
    const waitMs = Math.max(0, Math.ceil(lastReadAt + context.settleSeconds * 1_000 - performance.now()));
    context.progress({ phase: 'settle', round, candidates: pending, waitMs });
    if (waitMs > 0) {
      try {
        await context.sleep(waitMs, context.signal);
      } catch (cause) {
        throw verifyError(VerifyErrorCodes.aborted, 'verify: interrupted while settling', {}, cause);
      }
    }
    const next = await runRound(settle, roundFile, round, pending);
    await rm(roundFile.path(0), { force: true });
    totals.spilledBytes += next.bytes;
    pending = next.counts[0] ?? 0;
    roundFile = next;
    lastReadAt = performance.now();
  }
  return totals;
};

/** One round: the round's candidates re-read 100 keys at a time, a few chunks at once; rechecks go to the next file. */
const runRound = async (
  settle: ChunkSettler,
  roundFile: SpillFiles,
  round: number,
  pending: number,
): Promise<SpillFiles> => {
  const { context } = settle;
  const next = SpillFiles.create(context.dir, `candidates-${round + 1}`, 1);
  const running = new Set<Promise<void>>();
  let failure: unknown;
  let done = 0;
  const launch = (chunk: Candidate[]) => {
    const task: Promise<void> = settleChunk(settle, chunk, round, next)
      .then(
        () => {
          done += chunk.length;
          context.progress({ phase: 'recheck', round, done, candidates: pending });
        },
        (error: unknown) => {
          failure ??= error;
        },
      )
      .finally(() => running.delete(task));
    running.add(task);
  };
  let chunk: Candidate[] = [];
  for await (const line of readLines(roundFile.path(0))) {
    const parsed = JSON.parse(line) as Omit<Candidate, 'previous'> & { previous?: ObservationPair };
    chunk.push({ ...parsed, previous: parsed.previous ?? parsed.scanned });
    if (chunk.length === BATCH_GET_KEYS) {
      launch(chunk);
      chunk = [];
      while (running.size >= CHUNK_CONCURRENCY) await Promise.race(running);
      if (failure !== undefined) break;
      await next.flush();
    }
  }
  if (chunk.length > 0 && failure === undefined) launch(chunk);
  await Promise.all(running);
  await next.close();
  if (failure !== undefined) throw failure;
  return next;
};
