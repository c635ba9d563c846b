import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from '../../core/config/types.js';
import type { Item } from '../../core/types.js';
import type { KeyHasher } from '../../keys/keyHasher.js';
import type { RetryPolicy } from '../_shared/withRetries.js';
import { checkSameExportTime, readExportManifest } from '../exports/readExportManifest.js';
import type { ExportObjects } from '../exports/types.js';
import { buildVerifyReport } from './_internals/buildVerifyReport.js';
import type { CompareStats } from './_internals/comparePartitions.js';
import { compareToCandidates } from './_internals/compareToCandidates.js';
import { type BothTablesInfo, describeBoth } from './_internals/describeBoth.js';
import { createDifferenceTally } from './_internals/differenceTally.js';
import {
  createPageSpiller,
  type PageSpiller,
  type PageSpillerOptions,
  type SpillTotals,
} from './_internals/pageSpiller.js';
import type { SpillFiles } from './_internals/SpillFiles.js';
import { type ExportSide, scanBothSides } from './_internals/scanBothSides.js';
import { openVerifyRun, project, recordRejection, type VerifyRun } from './_internals/verifyRun.js';
import { VerifyErrorCodes, verifyError } from './errors.js';
import { type SettleTotals, settleCandidates } from './settleCandidates.js';
import {
  type Difference,
  type DifferenceKind,
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
  /**
   * Read both sides from DynamoDB exports taken at the same `ExportTime` instead of scanning the
   * tables (no read units for the scans); only the candidates are re-read live. See docs/verify.md.
   * @default scan both tables
   */
  readonly fromExport?: { readonly source: ExportObjects; readonly target: ExportObjects };
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
export interface VerifySettings {
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
export const validateVerifyOptions = (options: VerifyOptions): VerifySettings => {
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
  const started = performance.now();
  const run = await openVerifyRun(options, settings);
  let spillDir: string | undefined;
  let spiller: PageSpiller | undefined;
  try {
    const exports = await openExports(options);
    const tables = await describeTables(run);
    spillDir = await mkdtemp(join(options.spillDir ?? tmpdir(), 'dynasync-verify-'));
    const dir = spillDir;
    // ── 1. Read both sides; spill one line per key to its partition's file. ──
    spiller = createPageSpiller(
      spillerOptionsOf(run, tables, dir),
      run.given === identityTransform ? undefined : run.given,
    );
    const scan = await scanBothSides(run, spiller, tables.itemCount, exports);
    const totals = await spiller.close();
    await Promise.all(run.rejected.calls.splice(0));
    const scanEndedAt = performance.now();
    run.progress({
      phase: 'scan',
      scanned: { ...scan.scanned },
      estimatedTotal: tables.itemCount,
      consumedCapacity: { source: scan.consumed.source, target: scan.consumed.target },
    });
    // ── 2. Compare partition by partition; keys that differ become candidates (on disk). ──
    const compared = await compareSpills(run, dir, totals);
    // ── 3. Settle: re-read candidates consistently after the grace period, round by round. ──
    const settled = await settle(run, tables, dir, compared, scanEndedAt);
    scan.consumed.source += settled.totals.consumed.source;
    scan.consumed.target += settled.totals.consumed.target;
    scan.consumed.estimated ||= settled.totals.consumed.estimated;
    return buildVerifyReport(run, {
      scan,
      totals,
      compared: compared.outcome,
      candidates: compared.candidates,
      consistentReads: settled.totals.consistentReads,
      spilledBytes:
        totals.bytes +
        compared.outcome.spilledBytes +
        compared.firstRound.bytes +
        settled.totals.spilledBytes,
      counts: settled.counts,
      repairCounts: settled.totals.repairCounts,
      sample: settled.sample,
      durationMs: performance.now() - started,
      ...(exports === undefined
        ? {}
        : {
            exports: {
              exportTime: exports.source.manifest.exportTime,
              source: exports.source.manifest.location,
              target: exports.target.manifest.location,
            },
          }),
    });
  } finally {
    await spiller?.destroy();
    if (spillDir !== undefined) await rm(spillDir, { recursive: true, force: true });
    if (run.ownClients) for (const client of Object.values(run.clients)) client.destroy();
  }
};

/** Both tables' key names and item counts (DescribeTable), and how a target key finds its source key. */
interface TablesInfo extends BothTablesInfo {
  readonly sourceKeyOf: (targetKey: Item) => Item | undefined;
}

const describeTables = async (run: VerifyRun): Promise<TablesInfo> => {
  const { options } = run;
  const info = await describeBoth({
    from: options.from,
    to: options.to,
    sourceClient: run.sourceClient,
    targetClient: run.targetClient,
    sourceTable: run.sourceTable,
    targetTable: run.targetTable,
    retry: run.retry,
    identity: run.transform === identityTransform,
    signal: options.signal,
  });
  const { sourceKeyNames } = info;
  return {
    ...info,
    sourceKeyOf: options.sourceKeyOf ?? ((targetKey: Item) => project(targetKey, sourceKeyNames)),
  };
};

/** The exports' manifests, checked to be of one instant, when the run reads exports. */
const openExports = async (
  options: VerifyOptions,
): Promise<{ readonly source: ExportSide; readonly target: ExportSide } | undefined> => {
  if (options.fromExport === undefined) return undefined;
  const [source, target] = await Promise.all([
    readExportManifest(options.fromExport.source),
    readExportManifest(options.fromExport.target),
  ]);
  checkSameExportTime(source, target);
  return {
    source: { objects: options.fromExport.source, manifest: source },
    target: { objects: options.fromExport.target, manifest: target },
  };
};

const spillerOptionsOf = (run: VerifyRun, tables: TablesInfo, dir: string): PageSpillerOptions => ({
  dir,
  partitions: run.settings.partitions,
  prefix: run.options.config.metadata.prefix,
  compareVersions: run.rules.compareVersions,
  targetKeyNames: tables.targetKeyNames,
  sourceKeyNames: tables.sourceKeyNames,
  sameKeys: tables.sameKeys,
  targetTable: run.targetTable,
  to: run.options.to,
  onRejected: (code, sourceItem) => recordRejection(run, tables.sourceKeyNames, code, sourceItem),
});

/** The compare phase's candidates (first round, closed) and what comparing cost. */
interface Compared {
  readonly firstRound: SpillFiles;
  readonly candidates: number;
  readonly outcome: CompareStats;
}

const compareSpills = async (run: VerifyRun, dir: string, totals: SpillTotals): Promise<Compared> => {
  const { file, candidates, outcome } = await compareToCandidates({
    dir,
    partitions: run.settings.partitions,
    counts: totals.counts,
    maxEntriesInMemory: run.settings.maxEntriesInMemory,
    fileName: 'candidates-1',
    onPartition: (done, total) => run.progress({ phase: 'compare', partitionsDone: done, partitions: total }),
    ...(run.options.signal === undefined ? {} : { signal: run.options.signal }),
  });
  return { firstRound: file, candidates, outcome };
};

/** Settles the candidates; counts every difference and keeps the report's sample (drift first). */
const settle = async (
  run: VerifyRun,
  tables: TablesInfo,
  dir: string,
  compared: Compared,
  scanEndedAt: number,
): Promise<{
  totals: SettleTotals;
  counts: Readonly<Record<DifferenceKind, number>>;
  sample: Difference[];
}> => {
  const { options, settings } = run;
  const tally = createDifferenceTally(settings.sampleSize, (difference) =>
    options.onDifference?.(difference),
  );
  const totals = await settleCandidates(
    {
      config: options.config,
      from: options.from,
      to: options.to,
      names: run.names,
      rules: run.rules,
      sourceKeyNames: tables.sourceKeyNames,
      targetKeyNames: tables.targetKeyNames,
      sourceClient: run.sourceClient,
      targetClient: run.targetClient,
      sourceTable: run.sourceTable,
      targetTable: run.targetTable,
      limiters: run.limiters,
      retry: run.retry,
      transform: run.transform,
      sourceKeyOf: tables.sourceKeyOf,
      keyHashOf: run.keyHashOf,
      settleSeconds: settings.settleSeconds,
      settleRounds: settings.settleRounds,
      repairConcurrency: settings.repairConcurrency,
      repair: options.repair === true,
      dryRun: options.dryRun === true,
      now: run.now,
      sleep: run.sleep,
      progress: run.progress,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      dir,
      emit: tally.emit,
    },
    compared.firstRound,
    compared.candidates,
    scanEndedAt,
  );
  return { totals, counts: tally.counts, sample: tally.sample() };
};
