import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { type DynamoDBClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { linkedAbort } from '../../core/async/linkedAbort.js';
import { decodeItem } from '../../core/codec.js';
import { metadataNames } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes, isDynasyncError } from '../../core/errors.js';
import type { Item, WireItem } from '../../core/types.js';
import { createReadClients } from '../_shared/createReadClients.js';
import { describeTable } from '../_shared/describeTable.js';
import type { ScanPageInfo } from '../_shared/scanBody.js';
import { scanTable } from '../_shared/scanTable.js';
import { TokenBucket } from '../_shared/TokenBucket.js';
import { DEFAULT_RETRY, type RetryPolicy, withRetries } from '../_shared/withRetries.js';
import type { SourceTransform } from '../verify/types.js';
import { AdaptiveConcurrency } from './_internals/AdaptiveConcurrency.js';
import {
  type WriteCounts,
  type WriteTarget,
  writeBatches,
  writeConditional,
} from './_internals/writeItems.js';
import { type BackfillCheckpoint, CheckpointFile } from './CheckpointFile.js';
import { BackfillErrorCodes, backfillError } from './errors.js';
import { planBackfillPage, TOMBSTONE_NOT_TRANSFORMED } from './planBackfill.js';
import {
  type BackfillProgress,
  type BackfillReport,
  type PathReason,
  PathReasons,
  type WritePath,
  WritePaths,
} from './types.js';

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

/** Encrypts and decrypts text under a deployment key (e.g. the masking key, AES-256-GCM). */
export interface KeySealer {
  seal(text: string): string;
  /** @throws DynasyncError when the text was not sealed by this key (or was changed). */
  open(sealed: string): Promise<string>;
}

/**
 * Pages of one segment written at once: the next pages' writes start while earlier ones finish;
 * checkpoints still advance page by page, in order.
 */
export const PAGES_IN_FLIGHT = 4;

/**
 * Items of each segment's first scan page when `pageSize` is not given: the first writes start after
 * a short read (4 segments × 100 items are 16 batch requests, enough to fill 8 in flight) instead of
 * a full page per segment, while the next, full pages are read.
 */
export const FIRST_PAGE_SIZE = 100;

interface Settings {
  readonly segments: number;
  readonly concurrency: number;
  readonly maxRps: number | undefined;
  readonly maxWps: number | undefined;
}

const invalid = (option: string, message: string) =>
  backfillError(BackfillErrorCodes.invalidOption, `backfill: ${message}`, { option });

const intIn = (name: string, value: number, min: number, max: number): number => {
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalid(name, `--${name} must be a whole number from ${min} to ${max}, got ${value}`);
  return value;
};

const positiveRate = (name: string, value: number | undefined): number | undefined => {
  if (value !== undefined && (!Number.isFinite(value) || value <= 0))
    throw invalid(name, `--${name} must be a positive number of capacity units per second, got ${value}`);
  return value;
};

/**
 * Checks the options before anything is read.
 * @throws DynasyncError `backfill.invalidOption` naming the option and the fix.
 */
export const validateBackfillOptions = (options: BackfillOptions): Settings => {
  const regions = Object.keys(options.config.regions);
  for (const [name, region] of [
    ['from', options.from],
    ['to', options.to],
  ] as const)
    if (!regions.includes(region))
      throw invalid(name, `--${name} "${region}" is not a key of "regions" (${regions.join(', ')})`);
  if (options.from === options.to)
    throw invalid('to', `--from and --to are both "${options.from}"; name two different regions`);
  if (options.pageSize !== undefined) intIn('page-size', options.pageSize, 1, 1_000_000);
  return {
    segments: intIn('segments', options.segments ?? 4, 1, 1_000_000),
    concurrency: intIn('concurrency', options.concurrency ?? 32, 1, 1_024),
    maxRps: positiveRate('max-rps', options.maxRps),
    maxWps: positiveRate('max-wps', options.maxWps),
  };
};

/** The default checkpoint file of a run. */
export const defaultCheckpointPath = (config: Config, from: string, to: string): string =>
  join(config.replicator.checkpointDir, `backfill-${from}-${to}-${config.regions[to]!.table}.json`);

/** True when a strongly consistent scan finds no item at all (tombstones included) in the table. */
const isEmpty = async (client: DynamoDBClient, region: string, table: string, retry: RetryPolicy) => {
  let startKey: ScanCommandInput['ExclusiveStartKey'];
  try {
    do {
      const page = await withRetries(
        () =>
          client.send(
            new ScanCommand({
              TableName: table,
              ConsistentRead: true,
              Limit: 1,
              ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
            }),
          ),
        retry,
      );
      if ((page.Count ?? 0) > 0) return false;
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return true;
  } catch (cause) {
    const error = cause as Error;
    throw new DynasyncError(
      ErrorCodes.config.tableUnreachable,
      `backfill: cannot read table "${table}" of region ${region} (${error.name}: ${error.message}); check regions.${region}.table, its endpoint and the credentials`,
      { payload: { region, table, awsError: error.name }, cause },
    );
  }
};

const sameRun = (
  state: BackfillCheckpoint,
  expected: Omit<BackfillCheckpoint, 'path' | 'startedAt' | 'complete' | 'progress' | 'format'>,
) =>
  state.from === expected.from &&
  state.to === expected.to &&
  state.sourceTable === expected.sourceTable &&
  state.targetTable === expected.targetTable &&
  state.segments === expected.segments;

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
 *   `config.tableUnreachable`, `scan.failed`.
 * @example
 * const report = await backfill({ config, from: 'eu-west-1', to: 'us-east-1', maxWps: 500 });
 * console.log(report.path.chosen, report.written, report.stale);
 */
export const backfill = async (options: BackfillOptions): Promise<BackfillReport> => {
  const settings = validateBackfillOptions(options);
  const { config, from, to } = options;
  const started = performance.now();
  const now = options.now ?? Date.now;
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const names = metadataNames(config);
  const sourceTable = config.regions[from]!.table;
  const targetTable = config.regions[to]!.table;
  const checkpointPath = options.checkpoint ?? defaultCheckpointPath(config, from, to);
  const ownClients = options.clients === undefined;
  const clients = options.clients ?? createReadClients(config);
  const sourceClient = clients[from];
  const targetClient = clients[to];
  if (sourceClient === undefined || targetClient === undefined)
    throw invalid('clients', `no DynamoDB client for region ${sourceClient === undefined ? from : to}`);
  // The run's own signal: every write in flight listens to it (more than Node's default 10 listeners).
  const run = linkedAbort(options.signal);
  setMaxListeners(0, run.signal);
  try {
    const [sourceInfo, targetInfo] = await Promise.all([
      describeTable('backfill', sourceClient, from, sourceTable, retry, options.signal),
      describeTable('backfill', targetClient, to, targetTable, retry, options.signal),
    ]);

    // ── The checkpoint: a new run, or the one to resume. ──
    const existing = await CheckpointFile.read(checkpointPath);
    const identity = { from, to, sourceTable, targetTable };
    let resumed: BackfillCheckpoint | undefined;
    if (existing !== undefined && options.resume === true) {
      const segments = options.segments ?? existing.segments;
      if (!sameRun(existing, { ...identity, segments }))
        throw backfillError(
          BackfillErrorCodes.checkpointMismatch,
          `backfill: the checkpoint ${checkpointPath} belongs to another run (${existing.from} → ${existing.to}, ${existing.sourceTable} → ${existing.targetTable}, ${existing.segments} segments); name another --checkpoint, or resume with the same options`,
          { checkpoint: checkpointPath },
        );
      resumed = existing;
    } else if (existing !== undefined && !existing.complete)
      throw backfillError(
        BackfillErrorCodes.checkpointExists,
        `backfill: an unfinished run's checkpoint is in ${checkpointPath}: add --resume to continue it, or remove the file to start over`,
        { checkpoint: checkpointPath },
      );

    // ── The write path: batch writes only when provably nothing else is in or writes the target. ──
    let path: WritePath = WritePaths.conditional;
    let reason: PathReason;
    if (resumed !== undefined) {
      // The fast path's promise must hold again now: nothing else may have started writing meanwhile.
      const fastAgain =
        resumed.path === WritePaths.batch && options.targetIdle === true && options.fastPath !== false;
      path = fastAgain || resumed.path === WritePaths.conditional ? resumed.path : WritePaths.conditional;
      reason = path === resumed.path ? PathReasons.resumed : PathReasons.resumedConditional;
    } else if (options.fastPath === false) reason = PathReasons.disabled;
    else if (options.targetIdle !== true) reason = PathReasons.liveWritersPossible;
    else if (await isEmpty(targetClient, to, targetTable, retry)) {
      path = WritePaths.batch;
      reason = PathReasons.emptyAndIdle;
    } else reason = PathReasons.targetNotEmpty;

    const segments = resumed?.segments ?? settings.segments;
    const checkpoint = await CheckpointFile.open(
      checkpointPath,
      resumed ?? {
        format: 'dynasync-backfill/1',
        ...identity,
        segments,
        path,
        startedAt: new Date(now()).toISOString(),
        complete: false,
        progress: Array.from({ length: segments }, () => ({
          done: false,
          lastKey: null,
          pages: 0,
          items: 0,
        })),
      },
    );
    const state = checkpoint.state;
    const itemsBefore = CheckpointFile.itemsDone(state);
    const segmentsDoneBefore = state.progress.filter((segment) => segment.done).length;

    // ── Scan, write, checkpoint. ──
    const slots = new AdaptiveConcurrency(settings.concurrency);
    const target: WriteTarget = {
      client: targetClient,
      tableName: targetTable,
      names,
      targetKeyNames: targetInfo.keyNames,
      slots,
      ...(settings.maxWps === undefined
        ? {}
        : { limiter: new TokenBucket({ ratePerSecond: settings.maxWps }) }),
      retry,
      signal: run.signal,
    };
    const counts: WriteCounts = { written: 0, stale: 0, failed: 0, throttles: 0, consumedUnits: 0 };
    const skipCodes: Record<string, number> = {};
    let scanned = 0;
    let pages = 0;
    let readUnits = 0;
    let estimated = false;
    const report = () =>
      options.onProgress?.({
        scanned,
        resumedFrom: itemsBefore,
        estimatedTotal: sourceInfo.itemCount,
        written: counts.written,
        stale: counts.stale,
        consumedCapacity: { read: readUnits, write: counts.consumedUnits },
        concurrency: slots.limit,
      });
    const write = path === WritePaths.batch ? writeBatches : writeConditional;
    const plan = (items: readonly Item[]) => {
      const planned = planBackfillPage(items, {
        names,
        compareVersions: config.topology.type === 'active-active',
        from,
        tombstoneRetentionSeconds: config.tombstones.retentionDays * 86_400,
        targetKeyNames: targetInfo.keyNames,
        ...(options.transform === undefined ? {} : { transform: options.transform }),
      });
      for (const [code, count] of Object.entries(planned.skipped))
        skipCodes[code] = (skipCodes[code] ?? 0) + count;
      return planned.writes;
    };
    const markDone = async (segment: number, items: number, lastKey: WireItem | undefined) => {
      const progress = state.progress[segment]!;
      progress.pages += 1;
      progress.items += items;
      if (options.keySealer !== undefined && lastKey !== undefined) {
        progress.lastKey = null;
        progress.sealedKey = options.keySealer.seal(JSON.stringify(lastKey));
      } else {
        progress.lastKey = lastKey ?? null;
        delete progress.sealedKey;
      }
      progress.done = lastKey === undefined;
      await checkpoint.save();
      scanned += items;
      pages += 1;
      report();
    };
    // Per segment, the pages not yet checkpointed, oldest first: each settles once its writes and
    // every earlier page's are done and its checkpoint is saved (so a failure stops the chain there).
    const chains: Array<Array<Promise<void>>> = Array.from({ length: segments }, () => []);
    const onBody = async (body: Uint8Array, info?: ScanPageInfo): Promise<Record<string, unknown>> => {
      const { Items, ...rest } = JSON.parse(
        Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
      ) as { Items?: unknown[]; LastEvaluatedKey?: WireItem } & Record<string, unknown>;
      const segment = info?.segment ?? 0;
      const items = (Items ?? []).map((item, index) => decodeItem(item, `${sourceTable} item ${index}`));
      const chain = chains[segment]!;
      if (chain.length >= PAGES_IN_FLIGHT) await chain[0]; // back-pressure: at most PAGES_IN_FLIGHT pages per segment
      while (chain.length >= PAGES_IN_FLIGHT) chain.shift();
      const previous = chain.at(-1) ?? Promise.resolve();
      const written = write(plan(items), target, counts);
      const done = Promise.all([previous, written]).then(() =>
        markDone(segment, items.length, rest.LastEvaluatedKey),
      );
      done.catch(() => undefined); // awaited by a later page or at the end
      chain.push(done);
      return rest;
    };
    const settled = () => Promise.allSettled(chains.flat());
    // Each segment's resume key, opened before the scan starts (sealed keys need the masking key).
    const startKeys = await Promise.all(
      state.progress.map(async (progress, segment): Promise<WireItem | undefined> => {
        if (progress.done) return undefined;
        if (progress.sealedKey === undefined) return progress.lastKey ?? undefined;
        const field = `progress[${segment}].sealedKey`;
        if (options.keySealer === undefined)
          throw backfillError(
            BackfillErrorCodes.checkpointMismatch,
            `backfill: the checkpoint ${checkpointPath} holds sealed keys (${field}), but ${to} has no masking pipeline now; resume with the config that started the run, or remove the checkpoint to start over`,
            { checkpoint: checkpointPath, field },
          );
        try {
          return JSON.parse(await options.keySealer.open(progress.sealedKey)) as WireItem;
        } catch (error) {
          throw backfillError(
            BackfillErrorCodes.checkpointCorrupt,
            `backfill: the checkpoint ${checkpointPath} is corrupt: ${field} does not open with the masking key (${(error as Error).message}); remove it to start over`,
            { checkpoint: checkpointPath, field },
            error,
          );
        }
      }),
    );
    try {
      const totals = await scanTable({
        tool: 'backfill',
        client: sourceClient,
        tableName: sourceTable,
        segments,
        ...(options.pageSize === undefined
          ? { firstPageSize: FIRST_PAGE_SIZE }
          : { pageSize: options.pageSize }),
        ...(settings.maxRps === undefined
          ? {}
          : { limiter: new TokenBucket({ ratePerSecond: settings.maxRps }) }),
        retry,
        signal: run.signal,
        startAt: (segment) => {
          const progress = state.progress[segment]!;
          if (progress.done) return { done: true };
          const startKey = startKeys[segment];
          return startKey === undefined
            ? { done: false }
            : {
                done: false,
                exclusiveStartKey: decodeItem(
                  startKey,
                  `checkpoint progress[${segment}]`,
                ) as ScanCommandInput['ExclusiveStartKey'],
              };
        },
        onBody,
        onPage: (_items, units) => {
          readUnits += units;
        },
      });
      estimated = totals.estimated;
      await Promise.all(chains.map((chain) => chain.at(-1)));
    } catch (error) {
      await settled();
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

    const unsafe = Object.entries(skipCodes)
      .filter(([code]) => code !== TOMBSTONE_NOT_TRANSFORMED)
      .reduce((sum, [, count]) => sum + count, 0);
    const durationMs = performance.now() - started;
    return {
      from,
      to,
      tables: { source: sourceTable, target: targetTable },
      complete: counts.failed === 0 && unsafe === 0,
      path: { chosen: path, reason },
      scanned,
      written: counts.written,
      stale: counts.stale,
      skipped: unsafe,
      skipCodes,
      failed: counts.failed,
      pages,
      resume: {
        resumed: resumed !== undefined,
        itemsBefore,
        segmentsDoneBefore,
        checkpoint: checkpointPath,
      },
      consumedCapacity: {
        read: Number(readUnits.toFixed(1)),
        write: Number(counts.consumedUnits.toFixed(1)),
        estimated: estimated || counts.estimatedUnits === true,
      },
      throttles: counts.throttles,
      minConcurrency: slots.minimum,
      settings: {
        segments,
        concurrency: settings.concurrency,
        maxRps: settings.maxRps ?? null,
        maxWps: settings.maxWps ?? null,
        topology: config.topology.type,
      },
      durationMs: Math.round(durationMs),
      itemsPerSecond: Math.round(scanned / Math.max(durationMs / 1000, 0.001)),
    };
  } finally {
    run.dispose();
    if (ownClients) for (const client of Object.values(clients)) client.destroy();
  }
};
