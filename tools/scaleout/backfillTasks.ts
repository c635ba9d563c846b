import { setMaxListeners } from 'node:events';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { linkedAbort } from '../../core/async/linkedAbort.js';
import { metadataNames } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import type { WireItem } from '../../core/types.js';
import { describeTable } from '../_shared/describeTable.js';
import { TokenBucket } from '../_shared/TokenBucket.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../_shared/withRetries.js';
import { AdaptiveConcurrency } from '../_shared/writeItems/AdaptiveConcurrency.js';
import type { WriteCounts } from '../_shared/writeItems/writeItems.js';
import { buildBackfillReport } from '../backfill/buildReport.js';
import { type KeySealer, segmentStart } from '../backfill/checkpointProgress.js';
import { BackfillErrorCodes, backfillError } from '../backfill/errors.js';
import { scanSourcePages } from '../backfill/scanPages.js';
import { type BackfillReport, PathReasons, WritePaths } from '../backfill/types.js';
import { addCounts, createPageWriter, emptyCounts, pagePlanner } from '../backfill/writePages.js';
import type { SourceTransform } from '../verify/types.js';
import type { JobSpec, JobStore, ScaleoutTask, ScaleoutTaskResult, TaskRunner } from './protocol.js';

/** What the backfill task runner needs; clients and the pipeline are injected. */
export interface BackfillTaskDeps {
  readonly config: Config;
  readonly store: JobStore;
  /** DynamoDB clients by region (the job's `from` and `to`). */
  readonly clients: Readonly<Record<string, DynamoDBClient>>;
  /** The target peer's pipeline, applied to each source item. @default identity */
  readonly transform?: SourceTransform;
  /** Seals the stored resume keys of a masking peer (see `backfill`'s `keySealer`). @default in clear */
  readonly keySealer?: KeySealer;
  /** This worker's config version: a job planned with another is refused. @default not checked */
  readonly configVersion?: string;
  /** Clock of deadlines and durations, epoch ms. @default Date.now */
  readonly now?: () => number;
  /** @default 10 attempts, 50 ms base, 5 s max delay */
  readonly retry?: Partial<RetryPolicy>;
}

/** The command options a backfill job carries in `JobSpec.options`. */
export interface BackfillJobOptions {
  /** Write requests in flight per worker. @default 32 */
  readonly writeConcurrency?: number;
  /** Items per scan page. @default a short first page, then 500 (or fewer to fit the read budget) */
  readonly pageSize?: number;
}

/** Where a backfill job keeps its objects in the store. */
export const backfillJobKeys = (jobId: string) => ({
  spec: `jobs/${jobId}/job.json`,
  /** The segment's progress after its last page written (the checkpoint). */
  progress: (segment: number) => `jobs/${jobId}/segments/${segment}/progress.json`,
  /** The segment's final counts, written once its last page is. */
  result: (segment: number) => `jobs/${jobId}/segments/${segment}/result.json`,
  report: `jobs/${jobId}/report.json`,
});

/** One segment's counts (the progress and the result objects): counts and a resume key, no item values. */
export interface SegmentRecord {
  readonly segment: number;
  done: boolean;
  /** Source `LastEvaluatedKey` of the last page written; `null` before the first, when done, or sealed. */
  lastKey: WireItem | null;
  sealedKey?: string;
  /** Task invocations that worked on the segment. */
  runs: number;
  pages: number;
  scanned: number;
  readUnits: number;
  readEstimated: boolean;
  counts: WriteCounts;
  skipCodes: Record<string, number>;
  minConcurrency: number;
}

const decoder = new TextDecoder();

const readJson = async <T>(store: JobStore, key: string): Promise<T | undefined> => {
  const body = await store.get(key);
  return body === undefined ? undefined : (JSON.parse(decoder.decode(body)) as T);
};

const newRecord = (segment: number, concurrency: number): SegmentRecord => ({
  segment,
  done: false,
  lastKey: null,
  runs: 0,
  pages: 0,
  scanned: 0,
  readUnits: 0,
  readEstimated: false,
  counts: emptyCounts(),
  skipCodes: {},
  minConcurrency: concurrency,
});

const loadSpec = async (deps: BackfillTaskDeps, jobId: string): Promise<JobSpec> => {
  const spec = await readJson<JobSpec>(deps.store, backfillJobKeys(jobId).spec);
  const refuse = (why: string) =>
    backfillError(BackfillErrorCodes.jobMismatch, `backfill: job ${jobId} ${why}`, { jobId });
  if (spec === undefined) throw refuse('has no job.json in the store: plan the job first');
  if (spec.command !== 'backfill') throw refuse(`is a ${spec.command} job, not a backfill`);
  if (deps.configVersion !== undefined && spec.configVersion !== deps.configVersion)
    throw refuse(
      `was planned with config version ${spec.configVersion}, this worker runs ${deps.configVersion}: run it with the same config`,
    );
  return spec;
};

const jobOptions = (
  spec: JobSpec,
): Required<Pick<BackfillJobOptions, 'writeConcurrency'>> & BackfillJobOptions => {
  const options = spec.options as BackfillJobOptions;
  return { ...options, writeConcurrency: options.writeConcurrency ?? 32 };
};

/** A whole-job budget split over the job's workers: each takes `budget / concurrency`. */
const share = (budget: number | undefined, spec: JobSpec): TokenBucket | undefined =>
  budget === undefined
    ? undefined
    : new TokenBucket({ ratePerSecond: budget / Math.max(1, spec.concurrency) });

/** The checkpoint step of a segment task: a written page's counts and resume key into the record. */
const recordSegmentPage = (
  record: SegmentRecord,
  page: {
    readonly items: number;
    readonly lastKey: WireItem | undefined;
    readonly page: WriteCounts;
    readonly minConcurrency: number;
  },
  keySealer: KeySealer | undefined,
): void => {
  addCounts(record.counts, page.page);
  record.pages += 1;
  record.scanned += page.items;
  record.done = page.lastKey === undefined;
  if (keySealer !== undefined && page.lastKey !== undefined) {
    record.lastKey = null;
    record.sealedKey = keySealer.seal(JSON.stringify(page.lastKey));
  } else {
    record.lastKey = page.lastKey ?? null;
    delete record.sealedKey;
  }
  record.minConcurrency = Math.min(record.minConcurrency, page.minConcurrency);
};

/** The clients and tables of a job's two regions. */
const segmentTables = (deps: BackfillTaskDeps, spec: JobSpec) => {
  const source = deps.clients[spec.from];
  const target = deps.clients[spec.to];
  if (source === undefined || target === undefined)
    throw backfillError(
      BackfillErrorCodes.invalidOption,
      `backfill: no DynamoDB client for region ${source === undefined ? spec.from : spec.to}`,
      { option: 'clients' },
    );
  const sourceRegion = deps.config.regions[spec.from];
  const targetRegion = deps.config.regions[spec.to];
  if (sourceRegion === undefined || targetRegion === undefined)
    throw backfillError(
      BackfillErrorCodes.jobMismatch,
      `backfill: job ${spec.jobId} names region ${sourceRegion === undefined ? spec.from : spec.to}, which this config has not`,
      { jobId: spec.jobId },
    );
  return { source, target, sourceTable: sourceRegion.table, targetTable: targetRegion.table };
};

/** What one invocation of a segment task works with: its job, its record and where it writes. */
interface SegmentRun {
  readonly deps: BackfillTaskDeps;
  readonly spec: JobSpec;
  readonly task: Extract<ScaleoutTask, { kind: 'scanSegment' }>;
  readonly record: SegmentRecord;
  readonly retry: RetryPolicy;
  readonly signal: AbortSignal;
}

/** The page writer of a segment task: conditional writes, the progress saved after every page written. */
const segmentWriter = async (
  run: SegmentRun,
  tables: ReturnType<typeof segmentTables>,
  context: { readonly signal?: AbortSignal },
) => {
  const { deps, spec, record, task } = run;
  const options = jobOptions(spec);
  const targetInfo = await describeTable(
    'backfill',
    tables.target,
    spec.to,
    tables.targetTable,
    run.retry,
    context.signal,
  );
  const names = metadataNames(deps.config);
  const slots = new AdaptiveConcurrency(options.writeConcurrency);
  const writeLimiter = share(spec.maxWps, spec);
  return createPageWriter({
    segments: spec.totalSegments,
    path: WritePaths.conditional,
    target: {
      client: tables.target,
      tableName: tables.targetTable,
      names,
      targetKeyNames: targetInfo.keyNames,
      slots,
      ...(writeLimiter === undefined ? {} : { limiter: writeLimiter }),
      retry: run.retry,
      signal: run.signal,
    },
    plan: pagePlanner(
      {
        config: deps.config,
        names,
        from: spec.from,
        targetKeyNames: targetInfo.keyNames,
        ...(deps.transform === undefined ? {} : { transform: deps.transform }),
      },
      record.skipCodes,
    ),
    onWritten: async (_segment, items, lastKey, page) => {
      recordSegmentPage(record, { items, lastKey, page, minConcurrency: slots.minimum }, deps.keySealer);
      await deps.store.put(backfillJobKeys(task.jobId).progress(task.segment), JSON.stringify(record));
    },
  });
};

/** Scans the segment from its stored resume key until the deadline or its end, writing every page. */
const scanSegmentPages = async (
  run: SegmentRun,
  tables: ReturnType<typeof segmentTables>,
  writer: Awaited<ReturnType<typeof segmentWriter>>,
  deadlineAt: number,
): Promise<void> => {
  const { deps, spec, record, task } = run;
  const options = jobOptions(spec);
  const now = deps.now ?? Date.now;
  const readLimiter = share(spec.maxRps, spec);
  const startKey =
    record.sealedKey !== undefined && deps.keySealer !== undefined
      ? (JSON.parse(await deps.keySealer.open(record.sealedKey)) as WireItem)
      : (record.lastKey ?? undefined);
  const scan = await scanSourcePages({
    client: tables.source,
    tableName: tables.sourceTable,
    segments: spec.totalSegments,
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
    ...(readLimiter === undefined ? {} : { limiter: readLimiter }),
    retry: run.retry,
    signal: run.signal,
    startAt: (segment) => segmentStart(segment !== task.segment, startKey, segment),
    stopAfterPage: () => now() >= deadlineAt,
    onPage: (segment, items, lastKey) => writer.add(segment, items, lastKey),
    onUnits: (units) => {
      record.readUnits += units;
    },
  });
  await writer.drain();
  if (scan.estimated && !record.readEstimated) {
    record.readEstimated = true;
    await deps.store.put(backfillJobKeys(task.jobId).progress(task.segment), JSON.stringify(record));
  }
};

/** The engine's answer for a segment after an invocation: done, or the continuation to send again. */
const segmentResult = (
  task: Extract<ScaleoutTask, { kind: 'scanSegment' }>,
  record: SegmentRecord,
): ScaleoutTaskResult => ({
  kind: 'scanSegment',
  segment: task.segment,
  done: record.done,
  ...(record.done
    ? {}
    : {
        continuation: {
          invocation: (task.continuation?.invocation ?? 0) + 1,
          // The stored progress is what the next invocation continues from; this is the same key
          // (sealed for a masking peer: a key in clear would be personal data in the engine's state).
          source: record.sealedKey === undefined ? record.lastKey : { sealedKey: record.sealedKey },
          target: null,
          parts: 0,
        },
      }),
  scanned: { source: record.scanned, target: 0 },
});

/**
 * One invocation of `scanSegment`: continues the segment from its stored progress, writes each page
 * conditionally (never over a newer replicated version), saves the progress after every page written,
 * and stops after the page during which `deadlineAt` passed.
 *
 * ```
 * invocation 1: page 1 ─ page 2 ─ (deadline) ─► progress.json, done: false, continuation(LastEvaluatedKey)
 * invocation 2: page 3 ─ … ─ last page ──────► result.json, done: true
 * re-run:       result.json exists ──────────► returned as is, nothing scanned
 * ```
 */
const runScanSegment = async (
  deps: BackfillTaskDeps,
  task: Extract<ScaleoutTask, { kind: 'scanSegment' }>,
  context: { readonly deadlineAt: number; readonly signal?: AbortSignal },
): Promise<ScaleoutTaskResult> => {
  const spec = await loadSpec(deps, task.jobId);
  const keys = backfillJobKeys(task.jobId);
  const finished = await readJson<SegmentRecord>(deps.store, keys.result(task.segment));
  if (finished !== undefined)
    return {
      kind: 'scanSegment',
      segment: task.segment,
      done: true,
      scanned: { source: finished.scanned, target: 0 },
    };
  const record =
    (await readJson<SegmentRecord>(deps.store, keys.progress(task.segment))) ??
    newRecord(task.segment, jobOptions(spec).writeConcurrency);
  record.runs += 1;
  const tables = segmentTables(deps, spec);
  const aborts = linkedAbort(context.signal);
  setMaxListeners(0, aborts.signal);
  const run: SegmentRun = {
    deps,
    spec,
    task,
    record,
    retry: { ...DEFAULT_RETRY, ...deps.retry },
    signal: aborts.signal,
  };
  try {
    const writer = await segmentWriter(run, tables, context);
    try {
      await scanSegmentPages(run, tables, writer, context.deadlineAt);
    } catch (error) {
      await writer.settled();
      throw error;
    }
  } finally {
    aborts.dispose();
  }
  if (record.done) await deps.store.put(keys.result(task.segment), JSON.stringify(record));
  return segmentResult(task, record);
};

/** Sums the segment results of a job into the report a local backfill gives. Pure. */
export const settleBackfillSegments = (
  spec: JobSpec,
  config: Config,
  results: readonly SegmentRecord[],
  durationMs: number,
): BackfillReport => {
  const counts = emptyCounts();
  const skipCodes: Record<string, number> = {};
  let scanned = 0;
  let pages = 0;
  let readUnits = 0;
  let readEstimated = false;
  let minConcurrency = jobOptions(spec).writeConcurrency;
  for (const result of results) {
    addCounts(counts, result.counts);
    for (const [code, count] of Object.entries(result.skipCodes))
      skipCodes[code] = (skipCodes[code] ?? 0) + count;
    scanned += result.scanned;
    pages += result.pages;
    readUnits += result.readUnits;
    readEstimated ||= result.readEstimated;
    minConcurrency = Math.min(minConcurrency, result.minConcurrency);
  }
  return buildBackfillReport(
    {
      from: spec.from,
      to: spec.to,
      tables: { source: config.regions[spec.from]!.table, target: config.regions[spec.to]!.table },
      path: { chosen: WritePaths.conditional, reason: PathReasons.segmentTasks },
      resume: {
        resumed: results.some((result) => result.runs > 1),
        itemsBefore: 0,
        segmentsDoneBefore: 0,
        checkpoint: `jobs/${spec.jobId}/`,
      },
      settings: {
        segments: spec.totalSegments,
        concurrency: jobOptions(spec).writeConcurrency,
        maxRps: spec.maxRps ?? null,
        maxWps: spec.maxWps ?? null,
        topology: config.topology.type,
      },
    },
    { scanned, pages, readUnits, readEstimated, counts, skipCodes, minConcurrency, durationMs },
  );
};

const runSettle = async (deps: BackfillTaskDeps, jobId: string): Promise<ScaleoutTaskResult> => {
  const spec = await loadSpec(deps, jobId);
  const keys = backfillJobKeys(jobId);
  const stored = await readJson<BackfillReport>(deps.store, keys.report);
  if (stored === undefined) {
    const results = await Promise.all(
      spec.segments.map(async (segment) => {
        const result = await readJson<SegmentRecord>(deps.store, keys.result(segment));
        if (result === undefined)
          throw backfillError(
            BackfillErrorCodes.segmentMissing,
            `backfill: job ${jobId} has no result for segment ${segment}: its scanSegment task has not finished; run the job again to finish it`,
            { jobId, segment },
          );
        return result;
      }),
    );
    const durationMs = Math.max(0, (deps.now ?? Date.now)() - Date.parse(spec.createdAt));
    const report = settleBackfillSegments(spec, deps.config, results, durationMs);
    await deps.store.put(keys.report, JSON.stringify(report, null, 2));
    return { kind: 'settle', inSync: report.complete, reportKey: keys.report };
  }
  return { kind: 'settle', inSync: stored.complete, reportKey: keys.report };
};

/**
 * The task runner of backfill jobs (`JobSpec.command: 'backfill'`): `scanSegment` seeds the target
 * from segment *i* of the source with conditional writes, exactly as `backfill` does on its
 * conditional path; `settle` sums the segments into a {@link BackfillReport} stored at
 * `jobs/<jobId>/report.json`. Both are idempotent: a finished segment (or report) is returned from
 * the store, never scanned again.
 * @throws DynasyncError `backfill.jobMismatch`, `backfill.segmentMissing`, `backfill.writeFailed`,
 *   `scan.failed`, `backfill.aborted`; a `comparePartition` task is a bug (backfill never shuffles).
 * @example
 * const runner = createBackfillTaskRunner({ config, store, clients });
 * await runner({ kind: 'scanSegment', jobId, segment: 0 }, { deadlineAt: Date.now() + 600_000 });
 */
export const createBackfillTaskRunner =
  (deps: BackfillTaskDeps): TaskRunner =>
  async (task, context) => {
    if (task.kind === 'scanSegment') return runScanSegment(deps, task, context);
    if (task.kind === 'settle') return runSettle(deps, task.jobId);
    throw backfillError(
      BackfillErrorCodes.jobMismatch,
      `backfill: job ${task.jobId} has no partitions to compare`,
      {
        jobId: task.jobId,
      },
    );
  };

/** The report a settled backfill job stored, or `undefined` before it settles. */
export const readBackfillReport = (store: JobStore, jobId: string): Promise<BackfillReport | undefined> =>
  readJson<BackfillReport>(store, backfillJobKeys(jobId).report);

/** What {@link backfillJobSpec} needs. */
export interface BackfillJobInput {
  readonly jobId: string;
  readonly configVersion: string;
  readonly from: string;
  readonly to: string;
  readonly totalSegments: number;
  /** Workers of the job: each takes `maxRps / concurrency` and `maxWps / concurrency`. */
  readonly concurrency: number;
  readonly maxRps?: number;
  readonly maxWps?: number;
  readonly options?: BackfillJobOptions;
  /** Epoch ms the job is planned at. */
  readonly now: number;
}

/** The {@link JobSpec} of a backfill job over every segment (backfill never samples nor shuffles). Pure. */
export const backfillJobSpec = (input: BackfillJobInput): JobSpec => ({
  jobId: input.jobId,
  command: 'backfill',
  configVersion: input.configVersion,
  from: input.from,
  to: input.to,
  totalSegments: input.totalSegments,
  segments: Array.from({ length: input.totalSegments }, (_, segment) => segment),
  sample: 1,
  shuffle: false,
  partitions: 0,
  ...(input.maxRps === undefined ? {} : { maxRps: input.maxRps }),
  ...(input.maxWps === undefined ? {} : { maxWps: input.maxWps }),
  concurrency: input.concurrency,
  options: { ...input.options },
  createdAt: new Date(input.now).toISOString(),
});
