import { rm } from 'node:fs/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { mergeNamesFor } from '../../conflict/merge/types.js';
import { decodeItem } from '../../core/codec.js';
import type { MetadataNames } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { differingAttributes } from '../../core/equality.js';
import type { Item, WireItem } from '../../core/types.js';
import type { KeyHasher } from '../../keys/keyHasher.js';
import { createMergeWriter } from '../../replicator/merge/createMergeWriter.js';
import type { ReplicatorLogger } from '../../replicator/processBatch.js';
import type { TokenBucket } from '../_shared/TokenBucket.js';
import type { RetryPolicy } from '../_shared/withRetries.js';
import { BATCH_GET_KEYS, batchGetConsistent } from './_internals/batchGetConsistent.js';
import { readLines, SpillFiles } from './_internals/SpillFiles.js';
import { type ComparisonRules, canonicalKeyId, comparableItem, observe } from './digest.js';
import { VerifyErrorCodes, verifyError } from './errors.js';
import { planRepair, predictMergeRepair, predictRepair, type RepairContext } from './planRepair.js';
import { type MergeRepairTarget, sendMergeRepair } from './sendMergeRepair.js';
import { sendRepair } from './sendRepair.js';
import { type ObservationPair, settleDecision } from './settleDecision.js';
import {
  type Difference,
  DifferenceKinds,
  type DriftKind,
  type RepairOutcome,
  RepairOutcomes,
  type RepairResult,
  RepairSkipCodes,
  type SourceTransform,
  type VerifyProgress,
} from './types.js';

/** The merge writer's log: verify reports repairs itself (the audit sink, when configured, still gets each conflict). */
const SILENT_LOGGER: ReplicatorLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

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
  const {
    config,
    from,
    to,
    names,
    rules,
    targetKeyNames,
    sourceKeyNames,
    sourceClient,
    targetClient,
    sourceTable,
    targetTable,
    limiters,
    retry,
    transform,
    sourceKeyOf,
    keyHashOf,
    now,
    sleep,
    progress,
    dir,
    emit,
  } = context;
  const options = { repair: context.repair, dryRun: context.dryRun, signal: context.signal };
  const settings = {
    settleSeconds: context.settleSeconds,
    settleRounds: context.settleRounds,
    repairConcurrency: context.repairConcurrency,
  };
  const consumed = { source: 0, target: 0, estimated: false };
  const repairCounts = emptyRepairCounts();
  let spilledBytes = 0;
  let consistentReads = 0;
  const repairLimit = pLimit(settings.repairConcurrency);
  const repairContext = (sourceReadAtMs: number): RepairContext => ({
    names,
    compareVersions: rules.compareVersions,
    from,
    sourceReadAtMs,
    tombstoneRetentionSeconds: config.tombstones.retentionDays * 86_400,
    targetKeyNames,
  });
  // Under the merge strategy a repair is delivered like a replicated change: merged, not overwritten.
  const mergeRepair: MergeRepairTarget | undefined =
    config.conflict.strategy === 'merge' && options.repair === true && options.dryRun !== true
      ? {
          writer: createMergeWriter({
            config,
            conflict: config.conflict,
            region: from,
            logger: SILENT_LOGGER,
            keyHasher: keyHashOf,
            writerOptions: {
              peers: { [to]: { client: targetClient, tableName: targetTable } },
              names,
              baseDelayMs: retry.baseDelayMs,
              maxDelayMs: retry.maxDelayMs,
            },
          }),
          peer: to,
          keyNames: targetKeyNames,
          now,
        }
      : undefined;
  const mergeNames = mergeNamesFor(config.metadata.prefix);
  const repairOne = async (
    kind: DriftKind,
    sourceItem: Item | undefined,
    sourceKnown: boolean,
    targetItem: Item | undefined,
    readAtMs: number,
  ): Promise<RepairResult> => {
    const action = kind === DifferenceKinds.extra ? 'tombstone' : 'put';
    if (!sourceKnown) {
      const outcome = options.dryRun === true ? RepairOutcomes.wouldSkip : RepairOutcomes.skipped;
      return { outcome, action, code: RepairSkipCodes.sourceKeyUnknown };
    }
    const plan = planRepair(kind, sourceItem, targetItem, repairContext(readAtMs));
    if (options.dryRun === true) {
      const outcome =
        config.conflict.strategy === 'merge'
          ? predictMergeRepair(plan, targetItem, mergeNames)
          : predictRepair(plan, targetItem, names);
      return plan.type === 'skip'
        ? { outcome, action: plan.action, code: plan.code }
        : { outcome, action: plan.action };
    }
    if (plan.type === 'skip')
      return { outcome: RepairOutcomes.skipped, action: plan.action, code: plan.code };
    if (mergeRepair !== undefined && plan.condition.type === 'notNewer')
      return repairLimit(() => sendMergeRepair(mergeRepair, plan, options.signal));
    return repairLimit(() => sendRepair(targetClient, targetTable, plan, names, retry, options.signal));
  };

  const processChunk = async (
    chunk: readonly Candidate[],
    round: number,
    next: SpillFiles,
  ): Promise<void> => {
    const sourceKeys = new Map<string, Item>();
    const sourceKeyIds: Array<string | undefined> = chunk.map((candidate) => {
      const key =
        candidate.sk !== null
          ? decodeItem(candidate.sk, 'sourceKey')
          : sourceKeyOf(decodeItem(candidate.tk, 'key'));
      if (key === undefined) return undefined;
      const id = canonicalKeyId(key);
      sourceKeys.set(id, key);
      return id;
    });
    const targetKeys = chunk.map((candidate) => decodeItem(candidate.tk, 'key'));
    const readAtMs = now();
    const [sourceRead, targetRead] = await Promise.all([
      batchGetConsistent({
        client: sourceClient,
        tableName: sourceTable,
        keys: [...sourceKeys.values()],
        ...(limiters.source === undefined ? {} : { limiter: limiters.source }),
        retry,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      }),
      batchGetConsistent({
        client: targetClient,
        tableName: targetTable,
        keys: targetKeys,
        ...(limiters.target === undefined ? {} : { limiter: limiters.target }),
        retry,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      }),
    ]);
    consistentReads += sourceKeys.size + targetKeys.length;
    consumed.source += sourceRead.consumedUnits;
    consumed.target += targetRead.consumedUnits;
    consumed.estimated ||= sourceRead.estimated || targetRead.estimated;
    const sourceById = new Map(sourceRead.items.map((item) => [canonicalKeyId(item, sourceKeyNames), item]));
    const targetById = new Map(targetRead.items.map((item) => [canonicalKeyId(item, targetKeyNames), item]));
    const decided: Array<Promise<void>> = [];
    chunk.forEach((candidate, index) => {
      const sourceKeyId = sourceKeyIds[index];
      const raw = sourceKeyId === undefined ? undefined : sourceById.get(sourceKeyId);
      const sourceItem =
        raw === undefined
          ? undefined
          : transform(raw).find((output) => canonicalKeyId(output, targetKeyNames) === candidate.k);
      const targetItem = targetById.get(candidate.k);
      const current: ObservationPair = {
        source: observe(sourceItem, rules),
        target: observe(targetItem, rules),
      };
      const decision = settleDecision({
        scanned: candidate.scanned,
        previous: candidate.previous,
        current,
        round,
        maxRounds: settings.settleRounds,
        compareVersions: rules.compareVersions,
      });
      if (decision.type === 'recheck') {
        next.add(0, JSON.stringify({ ...candidate, previous: current }));
        return;
      }
      const base = {
        key: candidate.tk,
        keyHash: keyHashOf(candidate.k),
        sourceVersion: current.source.version,
        targetVersion: current.target.version,
        rechecks: round,
      };
      if (decision.type === 'settled') {
        decided.push(emit({ kind: DifferenceKinds.settled, was: candidate.was, attributes: [], ...base }));
        return;
      }
      const attributes =
        decision.kind === DifferenceKinds.different
          ? differingAttributes(comparableItem(sourceItem!, rules), comparableItem(targetItem!, rules))
          : [];
      const difference: Difference = { kind: decision.kind, attributes, ...base };
      if (options.repair !== true) {
        decided.push(emit(difference));
        return;
      }
      decided.push(
        repairOne(decision.kind, sourceItem, sourceKeyId !== undefined, targetItem, readAtMs).then(
          (repair) => {
            repairCounts[repair.outcome] += 1;
            return emit({ ...difference, repair });
          },
        ),
      );
    });
    await Promise.all(decided);
  };

  let roundFile = firstRound;
  let pending = candidateCount;
  let lastReadAt = scanEndedAt;
  for (let round = 1; pending > 0; round += 1) {
    const waitMs = Math.max(0, Math.ceil(lastReadAt + settings.settleSeconds * 1_000 - performance.now()));
    progress({ phase: 'settle', round, candidates: pending, waitMs });
    if (waitMs > 0) {
      try {
        await sleep(waitMs, options.signal);
      } catch (cause) {
        throw verifyError(VerifyErrorCodes.aborted, 'verify: interrupted while settling', {}, cause);
      }
    }
    const next = SpillFiles.create(dir, `candidates-${round + 1}`, 1);
    const running = new Set<Promise<void>>();
    let failure: unknown;
    let done = 0;
    const launch = (chunk: Candidate[]) => {
      const task: Promise<void> = processChunk(chunk, round, next)
        .then(
          () => {
            done += chunk.length;
            progress({ phase: 'recheck', round, done, candidates: pending });
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
    await rm(roundFile.path(0), { force: true });
    spilledBytes += next.bytes;
    pending = next.counts[0]!;
    roundFile = next;
    lastReadAt = performance.now();
  }
  return { consistentReads, spilledBytes, consumed, repairCounts };
};
