import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { mergeNamesFor } from '../../conflict/merge/types.js';
import { decodeItem } from '../../core/codec.js';
import { metadataNames } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { differingAttributes } from '../../core/equality.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { Item, WireItem } from '../../core/types.js';
import { type KeyHasher, resolveKeyHasher } from '../../keys/keyHasher.js';
import { createMergeWriter } from '../../replicator/merge/createMergeWriter.js';
import type { ReplicatorLogger } from '../../replicator/processBatch.js';
import { createReadClients } from '../_shared/createReadClients.js';
import { describeTable } from '../_shared/describeTable.js';
import { linkedAbort } from '../_shared/linkedAbort.js';
import { scanTable } from '../_shared/scanTable.js';
import { TokenBucket } from '../_shared/TokenBucket.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../_shared/withRetries.js';
import { BATCH_GET_KEYS, batchGetConsistent } from './_internals/batchGetConsistent.js';
import { comparePartitions } from './_internals/comparePartitions.js';
import {
  createPageSpiller,
  isPipelineRejection,
  type PageSpiller,
  type PageSpillerOptions,
  type Side,
  type SpillTotals,
  spillName,
} from './_internals/pageSpiller.js';
import { readLines, SpillFiles } from './_internals/SpillFiles.js';
import { parseSpillLine } from './_internals/spillLine.js';
import { compareObservations } from './compareObservations.js';
import { type AnyItem, canonicalKeyId, comparableItem, comparisonRules, observe } from './digest.js';
import { VerifyErrorCodes, verifyError } from './errors.js';
import { planRepair, predictMergeRepair, predictRepair, type RepairContext } from './planRepair.js';
import { type MergeRepairTarget, sendMergeRepair } from './sendMergeRepair.js';
import { sendRepair } from './sendRepair.js';
import { type ObservationPair, settleDecision } from './settleDecision.js';
import {
  type Difference,
  type DifferenceKind,
  DifferenceKinds,
  type DriftKind,
  ItemStates,
  identityTransform,
  type Observation,
  type PipelineRejection,
  type RepairOutcome,
  RepairOutcomes,
  type RepairResult,
  RepairSkipCodes,
  type SourceTransform,
  type VerifyProgress,
  type VerifyReport,
} from './types.js';

/** Options of {@link verify}. */
export interface VerifyOptions {
  readonly config: Config;
  /** The region whose table is the truth (a key of `regions`). */
  readonly from: string;
  /** The region whose table is checked against it. */
  readonly to: string;
  /** Parallel scan segments per table (`TotalSegments`, 1-1000000). @default 4 */
  readonly segments?: number;
  /** Grace period before a difference seen by the scan is re-read consistently, seconds (≥ 0). @default 5 */
  readonly settleSeconds?: number;
  /** Consistent re-reads allowed for a key that keeps changing (1-10). @default 3 */
  readonly settleRounds?: number;
  /** Read capacity units per second, per table (scans and re-reads). @default unlimited */
  readonly maxRps?: number;
  /** Write each drifted key's source state to the target (conditional, never over newer data). @default false */
  readonly repair?: boolean;
  /** With `repair`: only say what would be written. @default false */
  readonly dryRun?: boolean;
  /**
   * DynamoDB clients by region.
   * @default one per region of the config, without the SDK's logger middleware (destroyed at the end)
   */
  readonly clients?: Readonly<Record<string, DynamoDBClient>>;
  /** The peer's pipeline, applied to source items before they are compared. @default identity */
  readonly transform?: SourceTransform;
  /**
   * The source key of a target key, to re-read a target-only item at the source.
   * @default the target key's attributes named like the source's key attributes
   */
  readonly sourceKeyOf?: (targetKey: Item) => Item | undefined;
  /** Folder for the spill files (a fresh sub-folder, removed at the end). @default os.tmpdir() */
  readonly spillDir?: string;
  /** Partitions the scans spill to. @default 64 */
  readonly partitions?: number;
  /** Most scan entries held in memory while comparing a partition; larger partitions are split again. @default 50000 */
  readonly maxEntriesInMemory?: number;
  /** Items per scan page (`Limit`; DynamoDB also stops a page at 1 MB). @default 500, or fewer to fit `maxRps` */
  readonly pageSize?: number;
  /** Differences kept in the report's `sample`. @default 20 */
  readonly sampleSize?: number;
  /** Repair writes in flight. @default 16 */
  readonly repairConcurrency?: number;
  /** Called as the run advances (for a progress bar). */
  readonly onProgress?: (progress: VerifyProgress) => void;
  /** Called once for every difference, settled ones included (for `--output`). */
  readonly onDifference?: (difference: Difference) => void | Promise<void>;
  /** Called once for every live source item the transform rejected (for `--output`). */
  readonly onRejected?: (rejection: PipelineRejection) => void | Promise<void>;
  readonly signal?: AbortSignal;
  /** Wall clock, epoch ms (derived repair versions). @default Date.now */
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Retries of reads and repair writes. @default 10 attempts, 50 ms base, 5 s max delay */
  readonly retry?: Partial<RetryPolicy>;
  /** The `keyHash` of differences and rejections. @default the deployment's (`resolveKeyHasher`) */
  readonly keyHasher?: KeyHasher;
}

/** The merge writer's log: verify reports repairs itself (the audit sink, when configured, still gets each conflict). */
const SILENT_LOGGER: ReplicatorLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Candidate chunks (of up to 100 keys) re-read at once. */
const CHUNK_CONCURRENCY = 4;

const intIn = (name: string, value: number, min: number, max: number): number => {
  if (!Number.isInteger(value) || value < min || value > max)
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `verify: --${name} must be a whole number from ${min} to ${max}, got ${value}`,
      { option: name },
    );
  return value;
};

/** Validated settings with defaults applied. */
interface Settings {
  readonly segments: number;
  readonly settleSeconds: number;
  readonly settleRounds: number;
  readonly maxRps: number | undefined;
  readonly partitions: number;
  readonly maxEntriesInMemory: number;
  readonly sampleSize: number;
  readonly repairConcurrency: number;
}

/**
 * Checks the options before anything is read.
 * @throws DynasyncError `verify.invalidOption` naming the option and the fix.
 */
export const validateVerifyOptions = (options: VerifyOptions): Settings => {
  const regions = Object.keys(options.config.regions);
  for (const [name, region] of [
    ['from', options.from],
    ['to', options.to],
  ] as const) {
    if (!regions.includes(region))
      throw verifyError(
        VerifyErrorCodes.invalidOption,
        `verify: --${name} "${region}" is not a key of "regions" (${regions.join(', ')})`,
        { option: name, region },
      );
  }
  if (options.from === options.to)
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `verify: --from and --to are both "${options.from}"; name two different regions`,
      { option: 'to' },
    );
  if (options.dryRun === true && options.repair !== true)
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      'verify: --dry-run only applies to --repair; add --repair to see what a repair would write',
      { option: 'dry-run' },
    );
  const settleSeconds = options.settleSeconds ?? 5;
  if (!Number.isFinite(settleSeconds) || settleSeconds < 0 || settleSeconds > 3_600)
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `verify: --settle must be 0-3600 seconds, got ${settleSeconds}`,
      { option: 'settle' },
    );
  const maxRps = options.maxRps;
  if (maxRps !== undefined && (!Number.isFinite(maxRps) || maxRps <= 0))
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `verify: --max-rps must be a positive number of read units per second, got ${maxRps}`,
      { option: 'max-rps' },
    );
  if (options.pageSize !== undefined) intIn('page-size', options.pageSize, 1, 1_000_000);
  return {
    segments: intIn('segments', options.segments ?? 4, 1, 1_000_000),
    settleSeconds,
    settleRounds: intIn('settle-rounds', options.settleRounds ?? 3, 1, 10),
    maxRps,
    partitions: intIn('partitions', options.partitions ?? 64, 1, 4_096),
    maxEntriesInMemory: intIn('max-entries-in-memory', options.maxEntriesInMemory ?? 50_000, 1, 100_000_000),
    sampleSize: intIn('sample-size', options.sampleSize ?? 20, 0, 100_000),
    repairConcurrency: intIn('repair-concurrency', options.repairConcurrency ?? 16, 1, 512),
  };
};

/** The attributes `names` of an item (in either form); `undefined` when one is missing. */
const project = <T extends AnyItem>(item: T, names: readonly string[]): T | undefined => {
  const key: Record<string, unknown> = {};
  for (const name of names) {
    const value = (item as Record<string, unknown>)[name];
    if (value === undefined) return undefined;
    key[name] = value;
  }
  return key as T;
};

const ABSENT: Observation = { state: ItemStates.absent, digest: '', version: '' };

/** A key the scans disagreed on, waiting for its consistent re-read. */
interface Candidate {
  readonly k: string;
  readonly tk: WireItem;
  /** The source key when the scan saw the key at the source; `null` for target-only keys. */
  readonly sk: WireItem | null;
  readonly was: DriftKind;
  readonly scanned: ObservationPair;
  readonly previous: ObservationPair;
}

const emptyCounts = (): Record<DifferenceKind, number> => ({
  missing: 0,
  extra: 0,
  different: 0,
  settled: 0,
});

const emptyRepairCounts = (): Record<RepairOutcome, number> => ({
  repaired: 0,
  stale: 0,
  failed: 0,
  skipped: 0,
  wouldRepair: 0,
  wouldSkip: 0,
});

/**
 * Audits the target region's table against the source region's, with memory that does not grow with
 * the tables, and optionally repairs the drift. See docs/verify.md, "The method, and what it reads".
 *
 * ```
 * scan source ─┐ (segments in parallel, eventually consistent, rate-limited)
 * scan target ─┴─► digest per key ─► spill to disk by key hash (64 partitions)
 *   ─► compare partition by partition (split again above maxEntriesInMemory) ─► candidates (disk)
 *   ─► wait --settle ─► consistent re-read of both sides, 100 keys per BatchGetItem
 *   ─► settled | recheck (next round) | drift ─► attribute names, --repair
 * ```
 *
 * @returns the report; drift is a result (`inSync: false`), not an exception.
 * @throws DynasyncError `verify.invalidOption`, `config.tableUnreachable`, `verify.keySchemaMismatch`,
 *   `scan.failed`, `verify.readFailed`, `verify.aborted`.
 * @example
 * const report = await verify({ config, from: 'eu-west-1', to: 'us-east-1', settleSeconds: 5 });
 * if (!report.inSync) console.log(report.counts); // { missing: 2, extra: 0, different: 1, settled: 4 }
 */
export const verify = async (options: VerifyOptions): Promise<VerifyReport> => {
  const settings = validateVerifyOptions(options);
  const { config, from, to } = options;
  const keyHashOf = options.keyHasher ?? (await resolveKeyHasher(config, from));
  const started = performance.now();
  const now = options.now ?? Date.now;
  const sleep =
    options.sleep ??
    ((ms: number, signal?: AbortSignal) =>
      delay(ms, undefined, signal === undefined ? undefined : { signal }));
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const given = options.transform ?? identityTransform;
  // A re-read source item the pipeline rejects has no output: the target is expected to hold nothing.
  const transform: SourceTransform =
    given === identityTransform
      ? given
      : (item) => {
          try {
            return given(item);
          } catch (error) {
            if (isPipelineRejection(error)) return [];
            throw error;
          }
        };
  const rejectedCounts: Record<string, number> = {};
  const rejectedCalls: Array<void | Promise<void>> = [];
  const names = metadataNames(config);
  const rules = comparisonRules(config, names);
  const sourceTable = config.regions[from]!.table;
  const targetTable = config.regions[to]!.table;
  const ownClients = options.clients === undefined;
  const clients = options.clients ?? createReadClients(config);
  const sourceClient = clients[from];
  const targetClient = clients[to];
  if (sourceClient === undefined || targetClient === undefined)
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `verify: no DynamoDB client for region ${sourceClient === undefined ? from : to}`,
      {
        option: 'clients',
      },
    );
  const limiters =
    settings.maxRps === undefined
      ? { source: undefined, target: undefined }
      : {
          source: new TokenBucket({ ratePerSecond: settings.maxRps }),
          target: new TokenBucket({ ratePerSecond: settings.maxRps }),
        };
  const progress = options.onProgress ?? (() => undefined);
  const consumed = { source: 0, target: 0, estimated: false };
  const counts = emptyCounts();
  const repairCounts = emptyRepairCounts();
  const driftSample: Difference[] = [];
  const settledSample: Difference[] = [];
  let spillDir: string | undefined;
  let spillerToStop: PageSpiller | undefined;
  try {
    const [sourceInfo, targetInfo] = await Promise.all([
      describeTable('verify', sourceClient, from, sourceTable, retry, options.signal),
      describeTable('verify', targetClient, to, targetTable, retry, options.signal),
    ]);
    const targetKeyNames = targetInfo.keyNames;
    const sourceKeyNames = sourceInfo.keyNames;
    const sameKeys =
      transform === identityTransform &&
      sourceKeyNames.length === targetKeyNames.length &&
      sourceKeyNames.every((name) => targetKeyNames.includes(name));
    const sourceKeyOf =
      options.sourceKeyOf ?? ((targetKey: Item): Item | undefined => project(targetKey, sourceKeyNames));
    spillDir = await mkdtemp(join(options.spillDir ?? tmpdir(), 'dynasync-verify-'));
    const dir = spillDir;

    // ── 1. Scan both tables; spill one line per key to its partition's file. ──
    const spillerOptions: PageSpillerOptions = {
      dir,
      partitions: settings.partitions,
      prefix: config.metadata.prefix,
      compareVersions: rules.compareVersions,
      targetKeyNames,
      sourceKeyNames,
      sameKeys,
      targetTable,
      to,
      onRejected: (code, sourceItem) => {
        rejectedCounts[code] = (rejectedCounts[code] ?? 0) + 1;
        const sourceKey = project(sourceItem, sourceKeyNames) ?? sourceItem;
        const call = options.onRejected?.({
          kind: 'pipelineRejected',
          code,
          sourceKey,
          keyHash: keyHashOf(canonicalKeyId(sourceKey, sourceKeyNames)),
        });
        if (call !== undefined) rejectedCalls.push(call);
      },
    };
    // Without a transform, source pages are read like target pages (see `createPageSpiller`).
    const spiller = createPageSpiller(spillerOptions, given === identityTransform ? undefined : given);
    spillerToStop = spiller;
    const scanned = { source: 0, target: 0 };
    const estimatedTotal = sourceInfo.itemCount + targetInfo.itemCount;
    const report = () =>
      progress({
        phase: 'scan',
        scanned: { ...scanned },
        estimatedTotal,
        consumedCapacity: { source: consumed.source, target: consumed.target },
      });
    const scans = linkedAbort(options.signal);
    let scanFailure: unknown;
    const scanSide = (
      side: Side,
      client: DynamoDBClient,
      tableName: string,
      limiter: TokenBucket | undefined,
    ) =>
      scanTable({
        tool: 'verify',
        client,
        tableName,
        segments: settings.segments,
        ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
        ...(limiter === undefined ? {} : { limiter }),
        retry,
        signal: scans.signal,
        onBody: (body) => spiller.page(side, body),
        onPage: (items, units) => {
          scanned[side] += items;
          consumed[side] += units;
          report();
        },
      }).then(
        (totals) => {
          consumed.estimated ||= totals.estimated;
        },
        (cause: unknown) => {
          const error = DynasyncError.match(cause, ErrorCodes.scan.aborted)
            ? verifyError(VerifyErrorCodes.aborted, cause.message, cause.payload, cause)
            : cause;
          if (!scans.signal.aborted) scanFailure ??= error;
          scans.abort();
          throw error;
        },
      );
    const scanResults = await Promise.allSettled([
      scanSide('source', sourceClient, sourceTable, limiters.source),
      scanSide('target', targetClient, targetTable, limiters.target),
    ]);
    scans.dispose();
    if (scanFailure !== undefined) throw scanFailure;
    const rejected = scanResults.find((result) => result.status === 'rejected');
    if (rejected !== undefined) throw (rejected as PromiseRejectedResult).reason;
    const totals: SpillTotals = await spiller.close();
    await Promise.all(rejectedCalls.splice(0));
    const scanEndedAt = performance.now();
    report();
    const spillSet = (side: Side) => ({
      partitions: settings.partitions,
      counts: totals.counts[side],
      path: (partition: number) => SpillFiles.pathOf(dir, spillName(side), partition),
    });

    // ── 2. Compare partition by partition; keys that differ become candidates (on disk). ──
    let candidateCount = 0;
    const firstRound = SpillFiles.create(dir, 'candidates-1', 1);
    const compared = await comparePartitions({
      dir,
      source: spillSet('source'),
      target: spillSet('target'),
      maxEntriesInMemory: settings.maxEntriesInMemory,
      onDifferent: (sourceLine, targetLine) => {
        const source = sourceLine === undefined ? undefined : parseSpillLine(sourceLine);
        const target = targetLine === undefined ? undefined : parseSpillLine(targetLine);
        const s = source?.observation ?? ABSENT;
        const t = target?.observation ?? ABSENT;
        const kind = compareObservations(s, t);
        if (kind === undefined) return; // e.g. one-way: versions differ, content does not
        const entry = (source ?? target)!;
        const sourceKey =
          source === undefined ? null : source.sourceKey === '-' ? source.keyId : source.sourceKey;
        candidateCount += 1;
        firstRound.add(
          0,
          `{"k":${JSON.stringify(entry.keyId)},"tk":${entry.keyId},"sk":${sourceKey ?? 'null'},"was":"${kind}","scanned":${JSON.stringify({ source: s, target: t })}}`,
        );
      },
      flush: () => firstRound.flush(),
      onPartition: (done, total) => progress({ phase: 'compare', partitionsDone: done, partitions: total }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    await firstRound.close();
    let spilledBytes = totals.bytes + compared.spilledBytes + firstRound.bytes;

    // ── 3. Settle: re-read candidates consistently after the grace period, round by round. ──
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
    const emit = async (difference: Difference) => {
      counts[difference.kind] += 1;
      if (difference.kind === DifferenceKinds.settled) {
        if (settledSample.length < settings.sampleSize) settledSample.push(difference);
      } else if (driftSample.length < settings.sampleSize) driftSample.push(difference);
      await options.onDifference?.(difference);
    };
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
      const sourceById = new Map(
        sourceRead.items.map((item) => [canonicalKeyId(item, sourceKeyNames), item]),
      );
      const targetById = new Map(
        targetRead.items.map((item) => [canonicalKeyId(item, targetKeyNames), item]),
      );
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

    const durationMs = performance.now() - started;
    const drift = counts.missing + counts.extra + counts.different;
    const rejectedItems = Object.values(rejectedCounts).reduce((sum, count) => sum + count, 0);
    return {
      from,
      to,
      tables: { source: sourceTable, target: targetTable },
      inSync: drift === 0 && rejectedItems === 0,
      counts,
      pipelineRejected: rejectedCounts,
      scanned,
      live: totals.live,
      tombstones: totals.tombstones,
      consumedCapacity: {
        source: Number(consumed.source.toFixed(1)),
        target: Number(consumed.target.toFixed(1)),
        estimated: consumed.estimated,
      },
      settings: {
        segments: settings.segments,
        settleSeconds: settings.settleSeconds,
        settleRounds: settings.settleRounds,
        maxRps: settings.maxRps ?? null,
        topology: config.topology.type,
        versionsCompared: rules.compareVersions,
      },
      method: {
        partitions: settings.partitions,
        splits: compared.splits,
        maxEntriesInMemory: settings.maxEntriesInMemory,
        peakEntriesInMemory: compared.peakEntries,
        spilledBytes,
        candidates: candidateCount,
        consistentReads,
      },
      ...(options.repair === true
        ? { repair: { dryRun: options.dryRun === true, counts: repairCounts } }
        : {}),
      durationMs: Math.round(durationMs),
      itemsPerSecond: Math.round((scanned.source + scanned.target) / (durationMs / 1000)),
      sample: [...driftSample, ...settledSample].slice(0, settings.sampleSize),
    };
  } finally {
    await spillerToStop?.destroy();
    if (spillDir !== undefined) await rm(spillDir, { recursive: true, force: true });
    if (ownClients) for (const client of Object.values(clients)) client.destroy();
  }
};
