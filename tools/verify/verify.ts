import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { metadataNames } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import type { Item } from '../../core/types.js';
import { type KeyHasher, resolveKeyHasher } from '../../keys/keyHasher.js';
import { createReadClients } from '../_shared/createReadClients.js';
import { describeTable } from '../_shared/describeTable.js';
import { linkedAbort } from '../_shared/linkedAbort.js';
import { scanTable } from '../_shared/scanTable.js';
import { TokenBucket } from '../_shared/TokenBucket.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../_shared/withRetries.js';
import { candidateLineOf } from './_internals/candidateLine.js';
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
import { SpillFiles } from './_internals/SpillFiles.js';
import { type AnyItem, canonicalKeyId, comparisonRules } from './digest.js';
import { VerifyErrorCodes, verifyError } from './errors.js';
import { settleCandidates } from './settleCandidates.js';
import {
  type Difference,
  type DifferenceKind,
  DifferenceKinds,
  identityTransform,
  type PipelineRejection,
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

const emptyCounts = (): Record<DifferenceKind, number> => ({
  missing: 0,
  extra: 0,
  different: 0,
  settled: 0,
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
 *   `verify.scanFailed`, `verify.readFailed`, `verify.aborted`.
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
        (error: unknown) => {
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
        const line = candidateLineOf(sourceLine, targetLine);
        if (line === undefined) return;
        candidateCount += 1;
        firstRound.add(0, line);
      },
      flush: () => firstRound.flush(),
      onPartition: (done, total) => progress({ phase: 'compare', partitionsDone: done, partitions: total }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    await firstRound.close();
    let spilledBytes = totals.bytes + compared.spilledBytes + firstRound.bytes;

    // ── 3. Settle: re-read candidates consistently after the grace period, round by round. ──
    const emit = async (difference: Difference) => {
      counts[difference.kind] += 1;
      if (difference.kind === DifferenceKinds.settled) {
        if (settledSample.length < settings.sampleSize) settledSample.push(difference);
      } else if (driftSample.length < settings.sampleSize) driftSample.push(difference);
      await options.onDifference?.(difference);
    };
    const settled = await settleCandidates(
      {
        config,
        from,
        to,
        names,
        rules,
        sourceKeyNames,
        targetKeyNames,
        sourceClient,
        targetClient,
        sourceTable,
        targetTable,
        limiters,
        retry,
        transform,
        sourceKeyOf,
        keyHashOf,
        settleSeconds: settings.settleSeconds,
        settleRounds: settings.settleRounds,
        repairConcurrency: settings.repairConcurrency,
        repair: options.repair === true,
        dryRun: options.dryRun === true,
        now,
        sleep,
        progress,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        dir,
        emit,
      },
      firstRound,
      candidateCount,
      scanEndedAt,
    );
    spilledBytes += settled.spilledBytes;
    const consistentReads = settled.consistentReads;
    consumed.source += settled.consumed.source;
    consumed.target += settled.consumed.target;
    consumed.estimated ||= settled.consumed.estimated;
    const repairCounts = settled.repairCounts;

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
