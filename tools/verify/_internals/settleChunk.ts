import pLimit from 'p-limit';
import { mergeNamesFor } from '../../../conflict/merge/types.js';
import { decodeItem } from '../../../core/codec.js';
import { differingAttributes } from '../../../core/equality.js';
import type { Item } from '../../../core/types.js';
import { createPeerWrites } from '../../../replicator/createPeerWrites.js';
import type { ReplicatorLogger } from '../../../replicator/processBatch.js';
import { canonicalKeyId, comparableItem, observe } from '../digest.js';
import { planRepair, predictMergeRepair, predictRepair, type RepairContext } from '../planRepair.js';
import { type MergeRepairTarget, sendMergeRepair } from '../sendMergeRepair.js';
import { sendRepair } from '../sendRepair.js';
import type { Candidate, SettleContext, SettleTotals } from '../settleCandidates.js';
import { type ObservationPair, settleDecision } from '../settleDecision.js';
import {
  type Difference,
  DifferenceKinds,
  type DriftKind,
  RepairOutcomes,
  type RepairResult,
  RepairSkipCodes,
} from '../types.js';
import { batchGetConsistent } from './batchGetConsistent.js';
import type { SpillFiles } from './SpillFiles.js';

/** The merge writer's log: verify reports repairs itself (the audit sink, when configured, still gets each conflict). */
const SILENT_LOGGER: ReplicatorLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Repairs one drifted key (or says what it would do under `dryRun`). */
export type Repairer = (
  kind: DriftKind,
  sourceItem: Item | undefined,
  sourceKnown: boolean,
  targetItem: Item | undefined,
  readAtMs: number,
) => Promise<RepairResult>;

/** What every chunk of a settle run shares: the context, the running totals and the repairer. */
export interface ChunkSettler {
  readonly context: SettleContext;
  readonly totals: SettleTotals;
  readonly repair: Repairer;
}

/**
 * The repairer of a settle run: plans each repair (pure), then sends it, `repairConcurrency` at once;
 * under the merge strategy a repair is delivered like a replicated change (merged, not overwritten).
 */
export const createRepairer = (context: SettleContext): Repairer => {
  const { config, names, rules, from, to, targetKeyNames, targetClient, targetTable, retry } = context;
  const repairLimit = pLimit(context.repairConcurrency);
  const repairContext = (sourceReadAtMs: number): RepairContext => ({
    names,
    compareVersions: rules.compareVersions,
    from,
    sourceReadAtMs,
    tombstoneRetentionSeconds: config.tombstones.retentionDays * 86_400,
    targetKeyNames,
  });
  const mergeRepair: MergeRepairTarget | undefined =
    config.conflict.strategy === 'merge' && context.repair && !context.dryRun
      ? {
          writer: createPeerWrites(config, from, {
            clients: { [to]: targetClient },
            peers: [to],
            logger: SILENT_LOGGER,
            keyHasher: context.keyHashOf,
            retry,
            caller: 'verify',
          }),
          peer: to,
          keyNames: targetKeyNames,
          now: context.now,
        }
      : undefined;
  const mergeNames = mergeNamesFor(config.metadata.prefix);
  return async (kind, sourceItem, sourceKnown, targetItem, readAtMs) => {
    const action = kind === DifferenceKinds.extra ? 'tombstone' : 'put';
    if (!sourceKnown) {
      const outcome = context.dryRun ? RepairOutcomes.wouldSkip : RepairOutcomes.skipped;
      return { outcome, action, code: RepairSkipCodes.sourceKeyUnknown };
    }
    const plan = planRepair(kind, sourceItem, targetItem, repairContext(readAtMs));
    if (context.dryRun) {
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
      return repairLimit(() => sendMergeRepair(mergeRepair, plan, context.signal));
    return repairLimit(() => sendRepair(targetClient, targetTable, plan, names, retry, context.signal));
  };
};

/** Both sides of a chunk of candidates, read consistently (100 keys per BatchGetItem), by canonical key id. */
interface ChunkRead {
  readonly sourceKeyIds: ReadonlyArray<string | undefined>;
  readonly sourceById: ReadonlyMap<string, Item>;
  readonly targetById: ReadonlyMap<string, Item>;
  readonly readAtMs: number;
}

const readChunk = async (settle: ChunkSettler, chunk: readonly Candidate[]): Promise<ChunkRead> => {
  const { context, totals } = settle;
  const { limiters, retry, signal } = context;
  const sourceKeys = new Map<string, Item>();
  const sourceKeyIds = chunk.map((candidate) => {
    const key =
      candidate.sk !== null
        ? decodeItem(candidate.sk, 'sourceKey')
        : context.sourceKeyOf(decodeItem(candidate.tk, 'key'));
    if (key === undefined) return undefined;
    const id = canonicalKeyId(key);
    sourceKeys.set(id, key);
    return id;
  });
  const targetKeys = chunk.map((candidate) => decodeItem(candidate.tk, 'key'));
  const readAtMs = context.now();
  const [sourceRead, targetRead] = await Promise.all([
    batchGetConsistent({
      client: context.sourceClient,
      tableName: context.sourceTable,
      keys: [...sourceKeys.values()],
      ...(limiters.source === undefined ? {} : { limiter: limiters.source }),
      retry,
      ...(signal === undefined ? {} : { signal }),
    }),
    batchGetConsistent({
      client: context.targetClient,
      tableName: context.targetTable,
      keys: targetKeys,
      ...(limiters.target === undefined ? {} : { limiter: limiters.target }),
      retry,
      ...(signal === undefined ? {} : { signal }),
    }),
  ]);
  totals.consistentReads += sourceKeys.size + targetKeys.length;
  totals.consumed.source += sourceRead.consumedUnits;
  totals.consumed.target += targetRead.consumedUnits;
  totals.consumed.estimated ||= sourceRead.estimated || targetRead.estimated;
  return {
    sourceKeyIds,
    sourceById: new Map(sourceRead.items.map((item) => [canonicalKeyId(item, context.sourceKeyNames), item])),
    targetById: new Map(targetRead.items.map((item) => [canonicalKeyId(item, context.targetKeyNames), item])),
    readAtMs,
  };
};

/**
 * Re-reads a chunk of candidates and decides each: recheck (written to `next` with what was just
 * read), settled, or drift (emitted, and repaired when asked).
 */
export const settleChunk = async (
  settle: ChunkSettler,
  chunk: readonly Candidate[],
  round: number,
  next: SpillFiles,
): Promise<void> => {
  const { context, totals } = settle;
  const { rules, targetKeyNames, emit } = context;
  const read = await readChunk(settle, chunk);
  const decided: Array<Promise<void>> = [];
  chunk.forEach((candidate, index) => {
    const sourceKeyId = read.sourceKeyIds[index];
    const raw = sourceKeyId === undefined ? undefined : read.sourceById.get(sourceKeyId);
    const sourceItem =
      raw === undefined
        ? undefined
        : context.transform(raw).find((output) => canonicalKeyId(output, targetKeyNames) === candidate.k);
    const targetItem = read.targetById.get(candidate.k);
    const current: ObservationPair = {
      source: observe(sourceItem, rules),
      target: observe(targetItem, rules),
    };
    const decision = settleDecision({
      scanned: candidate.scanned,
      previous: candidate.previous,
      current,
      round,
      maxRounds: context.settleRounds,
      compareVersions: rules.compareVersions,
    });
    if (decision.type === 'recheck') {
      next.add(0, JSON.stringify({ ...candidate, previous: current }));
      return;
    }
    const base = {
      key: candidate.tk,
      keyHash: context.keyHashOf(candidate.k),
      sourceVersion: current.source.version,
      targetVersion: current.target.version,
      rechecks: round,
    };
    if (decision.type === 'settled') {
      decided.push(emit({ kind: DifferenceKinds.settled, was: candidate.was, attributes: [], ...base }));
      return;
    }
    const attributes =
      decision.kind === DifferenceKinds.different && sourceItem !== undefined && targetItem !== undefined
        ? differingAttributes(comparableItem(sourceItem, rules), comparableItem(targetItem, rules))
        : [];
    const difference: Difference = { kind: decision.kind, attributes, ...base };
    if (!context.repair) {
      decided.push(emit(difference));
      return;
    }
    decided.push(
      settle
        .repair(decision.kind, sourceItem, sourceKeyId !== undefined, targetItem, read.readAtMs)
        .then((repair) => {
          totals.repairCounts[repair.outcome] += 1;
          return emit({ ...difference, repair });
        }),
    );
  });
  await Promise.all(decided);
};
