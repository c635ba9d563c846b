import { setMaxListeners } from 'node:events';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { linkedAbort } from '../../core/async/linkedAbort.js';
import { metadataNames } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { ErrorCodes, isDynasyncError } from '../../core/errors.js';
import type { WireItem } from '../../core/types.js';
import { createReadClients } from '../_shared/createReadClients.js';
import { describeTable, type TableInfo } from '../_shared/describeTable.js';
import { TokenBucket } from '../_shared/TokenBucket.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../_shared/withRetries.js';
import { AdaptiveConcurrency } from '../_shared/writeItems/AdaptiveConcurrency.js';
import type { WriteCounts, WriteTarget } from '../_shared/writeItems/writeItems.js';
import type { SourceTransform } from '../verify/types.js';
import { buildBackfillReport } from './buildReport.js';
import { type BackfillCheckpoint, CheckpointFile } from './CheckpointFile.js';
import { type KeySealer, openResumeKeys, recordPage, segmentStart } from './checkpointProgress.js';
import { BackfillErrorCodes, backfillError } from './errors.js';
import { type BackfillEstimate, estimateBackfillUnits } from './estimateUnits.js';
import {
  type BackfillSettings,
  checkpointToResume,
  chooseWritePath,
  defaultCheckpointPath,
  invalidBackfillOption,
  isTableEmpty,
  newCheckpointState,
  validateBackfillOptions,
} from './planRun.js';
import { FIRST_PAGE_SIZE, scanSourcePages } from './scanPages.js';
import type { BackfillProgress, BackfillReport, PathReason, WritePath } from './types.js';
import { addCounts, createPageWriter, emptyCounts, PAGES_IN_FLIGHT, pagePlanner } from './writePages.js';

export type { KeySealer } from './checkpointProgress.js';
export { defaultCheckpointPath, validateBackfillOptions } from './planRun.js';
export { FIRST_PAGE_SIZE } from './scanPages.js';
export { PAGES_IN_FLIGHT } from './writePages.js';

/** Options of {@link backfill}. */
export interface BackfillOptions {
  readonly config: Config;
  /** The region whose table is copied (a key of `regions`). */
  readonly from: string;
  /** The region whose table is seeded. */
  readonly to: string;
  /** Parallel scan segments (`TotalSegments`, 1-1000000); a resumed run keeps the checkpoint's. @default 4 */
  readonly segments?: number;
  /** Write requests in flight at most (the adaptive limit starts here). @default 32 */
  readonly concurrency?: number;
  /** Read capacity units per second for the scan. @default unlimited */
  readonly maxRps?: number;
  /** Write capacity units per second for the writes. @default unlimited */
  readonly maxWps?: number;
  /**
   * Items per scan page (`Limit`; the unit of checkpoints).
   * @default 500, or fewer to fit `maxRps`; each segment's first page {@link FIRST_PAGE_SIZE}
   */
  readonly pageSize?: number;
  /** The peer's pipeline, applied to each source item before it is written. @default identity */
  readonly transform?: SourceTransform;
  /**
   * The caller's promise that nothing else writes the target during the run: replication into it is
   * not running and no application writes it. With an empty target, it enables the fast path.
   * @default false
   */
  readonly targetIdle?: boolean;
  /** Allow the fast path (batch writes) when it is safe. @default true */
  readonly fastPath?: boolean;
  /** The checkpoint file. @default `<replicator.checkpointDir>/backfill-<from>-<to>-<target table>.json` */
  readonly checkpoint?: string;
  /** Continue the run of the checkpoint (a missing checkpoint starts from the beginning). @default false */
  readonly resume?: boolean;
  /** DynamoDB clients by region. @default one per region, destroyed at the end */
  readonly clients?: Readonly<Record<string, DynamoDBClient>>;
  readonly onProgress?: (progress: BackfillProgress) => void;
  /** Called once the source is described, before anything is written: the units the run will consume. */
  readonly onEstimate?: (estimate: BackfillEstimate) => void;
  readonly signal?: AbortSignal;
  /** Wall clock, epoch ms (checkpoint start time). @default Date.now */
  readonly now?: () => number;
  /** Retries of reads and writes. @default 10 attempts, 50 ms base, 5 s max delay */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Seals the checkpoint's resume keys (`LastEvaluatedKey`s of the source): for a peer whose
   * pipeline masks, the source's keys are personal data and must not lie in clear on disk.
   * @default keys kept in clear
   */
  readonly keySealer?: KeySealer;
}

/** The run as the plan phase left it: tables described, checkpoint open, path chosen. */
interface PlannedRun {
  readonly sourceInfo: TableInfo;
  readonly targetInfo: TableInfo;
  readonly sourceTable: string;
  readonly targetTable: string;
  readonly checkpointPath: string;
  readonly checkpoint: CheckpointFile;
  readonly resumed: boolean;
  readonly path: { readonly chosen: WritePath; readonly reason: PathReason };
  readonly itemsBefore: number;
  readonly segmentsDoneBefore: number;
}

/** The plan phase: describe both tables, find the checkpoint to resume, choose the path, open the checkpoint. */
const planRun = async (
  options: BackfillOptions,
  settings: BackfillSettings,
  clients: { readonly source: DynamoDBClient; readonly target: DynamoDBClient },
  retry: RetryPolicy,
): Promise<PlannedRun> => {
  const { config, from, to } = options;
  const sourceTable = config.regions[from]!.table;
  const targetTable = config.regions[to]!.table;
  const checkpointPath = options.checkpoint ?? defaultCheckpointPath(config, from, to);
  const [sourceInfo, targetInfo] = await Promise.all([
    describeTable('backfill', clients.source, from, sourceTable, retry, options.signal),
    describeTable('backfill', clients.target, to, targetTable, retry, options.signal),
  ]);
  options.onEstimate?.(estimateBackfillUnits(sourceInfo.itemCount, sourceInfo.sizeBytes));
  const identity = { from, to, sourceTable, targetTable };
  const resumed: BackfillCheckpoint | undefined = await checkpointToResume(
    checkpointPath,
    identity,
    options.resume === true,
    options.segments,
  );
  const path = await chooseWritePath({
    resumed,
    targetIdle: options.targetIdle === true,
    fastPath: options.fastPath !== false,
    targetEmpty: () => isTableEmpty(clients.target, to, targetTable, retry),
  });
  const segments = resumed?.segments ?? settings.segments;
  const checkpoint = await CheckpointFile.open(
    checkpointPath,
    resumed ?? newCheckpointState(identity, segments, path.chosen, (options.now ?? Date.now)()),
  );
  return {
    sourceInfo,
    targetInfo,
    sourceTable,
    targetTable,
    checkpointPath,
    checkpoint,
    resumed: resumed !== undefined,
    path,
    itemsBefore: CheckpointFile.itemsDone(checkpoint.state),
    segmentsDoneBefore: checkpoint.state.progress.filter((segment) => segment.done).length,
  };
};

/** The fields of the report the plan phase decided. */
const reportPlan = (options: BackfillOptions, settings: BackfillSettings, planned: PlannedRun) => ({
  from: options.from,
  to: options.to,
  tables: { source: planned.sourceTable, target: planned.targetTable },
  path: planned.path,
  resume: {
    resumed: planned.resumed,
    itemsBefore: planned.itemsBefore,
    segmentsDoneBefore: planned.segmentsDoneBefore,
    checkpoint: planned.checkpointPath,
  },
  settings: {
    segments: planned.checkpoint.state.segments,
    concurrency: settings.concurrency,
    maxRps: settings.maxRps ?? null,
    maxWps: settings.maxWps ?? null,
    topology: options.config.topology.type,
  },
});

/** The scan, write and checkpoint phases, then the report. */
const scanWriteCheckpoint = async (
  options: BackfillOptions,
  settings: BackfillSettings,
  planned: PlannedRun,
  clients: { readonly source: DynamoDBClient; readonly target: DynamoDBClient },
  run: { readonly signal: AbortSignal; readonly retry: RetryPolicy; readonly startedMs: number },
): Promise<BackfillReport> => {
  const { config, from, to } = options;
  const { checkpoint, checkpointPath } = planned;
  const state = checkpoint.state;
  const names = metadataNames(config);
  const slots = new AdaptiveConcurrency(settings.concurrency);
  const target: WriteTarget = {
    client: clients.target,
    tableName: planned.targetTable,
    names,
    targetKeyNames: planned.targetInfo.keyNames,
    slots,
    ...(settings.maxWps === undefined
      ? {}
      : { limiter: new TokenBucket({ ratePerSecond: settings.maxWps }) }),
    retry: run.retry,
    signal: run.signal,
  };
  const counts: WriteCounts = emptyCounts();
  const skipCodes: Record<string, number> = {};
  const totals = { scanned: 0, pages: 0, readUnits: 0 };
  const report = () =>
    options.onProgress?.({
      scanned: totals.scanned,
      resumedFrom: planned.itemsBefore,
      estimatedTotal: planned.sourceInfo.itemCount,
      written: counts.written,
      stale: counts.stale,
      consumedCapacity: { read: totals.readUnits, write: counts.consumedUnits },
      concurrency: slots.limit,
    });
  // The checkpoint phase: a page's progress is saved once it and every earlier page of its segment are written.
  const onWritten = async (
    segment: number,
    items: number,
    lastKey: WireItem | undefined,
    page: WriteCounts,
  ) => {
    addCounts(counts, page);
    recordPage(state.progress[segment]!, items, lastKey, options.keySealer);
    await checkpoint.save();
    totals.scanned += items;
    totals.pages += 1;
    report();
  };
  const writer = createPageWriter({
    segments: state.segments,
    path: planned.path.chosen,
    target,
    plan: pagePlanner(
      {
        config,
        names,
        from,
        targetKeyNames: planned.targetInfo.keyNames,
        ...(options.transform === undefined ? {} : { transform: options.transform }),
      },
      skipCodes,
    ),
    onWritten,
  });
  const startKeys = await openResumeKeys(state, options.keySealer, checkpointPath, to);
  let readEstimated = false;
  try {
    const scan = await scanSourcePages({
      client: clients.source,
      tableName: planned.sourceTable,
      segments: state.segments,
      ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      ...(settings.maxRps === undefined
        ? {}
        : { limiter: new TokenBucket({ ratePerSecond: settings.maxRps }) }),
      retry: run.retry,
      signal: run.signal,
      startAt: (segment) => segmentStart(state.progress[segment]!.done, startKeys[segment], segment),
      onPage: (segment, items, lastKey) => writer.add(segment, items, lastKey),
      onUnits: (units) => {
        totals.readUnits += units;
      },
    });
    readEstimated = scan.estimated;
    await writer.drain();
  } catch (error) {
    await writer.settled();
    if (options.signal?.aborted === true || isDynasyncError(error, ErrorCodes.scan.aborted))
      throw backfillError(
        BackfillErrorCodes.aborted,
        `backfill: interrupted; ${CheckpointFile.itemsDone(state)} items are checkpointed in ${checkpointPath}: run again with --resume to continue`,
        { checkpoint: checkpointPath },
        error,
      );
    throw error;
  }
  state.complete = true;
  await checkpoint.save();
  return buildBackfillReport(reportPlan(options, settings, planned), {
    ...totals,
    readEstimated,
    counts,
    skipCodes,
    minConcurrency: slots.minimum,
    durationMs: performance.now() - run.startedMs,
  });
};

/**
 * Seeds the target region's table with the source's items, while live replication runs: a parallel
 * segmented scan of the source, each item through the peer's pipeline, then conditional writes that
 * never overwrite newer data and never resurrect deleted items (see {@link planBackfillPage} for the
 * versions). Each segment's progress is checkpointed after every page written; `resume` continues
 * after the last finished page of each segment.
 *
 * ```
 * scan source (segments in parallel, --max-rps) ─► per page: transform ─► version ─► writes
 *   conditional PutItem (default)  or  BatchWriteItem (fast path: empty target, --target-idle)
 *   ─► (--max-wps, adaptive concurrency on throttling) ─► checkpoint the segment ─► next page
 * ```
 * Up to {@link PAGES_IN_FLIGHT} pages of a segment are written at once (the next is read meanwhile);
 * a page's checkpoint is saved once it and every earlier page of its segment are written, so the
 * checkpoint never runs ahead of the target.
 *
 * @returns the report: skipped or failed items are a result (`complete: false`), not an exception.
 * @throws DynasyncError `backfill.invalidOption`, `backfill.checkpointExists`,
 *   `backfill.checkpointMismatch`, `backfill.writeFailed`, `backfill.aborted`,
 *   `config.tableUnreachable`, `verify.scanFailed`.
 * @example
 * const report = await backfill({ config, from: 'eu-west-1', to: 'us-east-1', maxWps: 500 });
 * console.log(report.path.chosen, report.written, report.stale);
 */
export const backfill = async (options: BackfillOptions): Promise<BackfillReport> => {
  const settings = validateBackfillOptions(options);
  const startedMs = performance.now();
  const { config, from, to } = options;
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const ownClients = options.clients === undefined;
  const clients = options.clients ?? createReadClients(config);
  const source = clients[from];
  const target = clients[to];
  if (source === undefined || target === undefined)
    throw invalidBackfillOption(
      'clients',
      `no DynamoDB client for region ${source === undefined ? from : to}`,
    );
  // The run's own signal: every write in flight listens to it (more than Node's default 10 listeners).
  const run = linkedAbort(options.signal);
  setMaxListeners(0, run.signal);
  try {
    const planned = await planRun(options, settings, { source, target }, retry);
    return await scanWriteCheckpoint(
      options,
      settings,
      planned,
      { source, target },
      {
        signal: run.signal,
        retry,
        startedMs,
      },
    );
  } finally {
    run.dispose();
    if (ownClients) for (const client of Object.values(clients)) client.destroy();
  }
};
