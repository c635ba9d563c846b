import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decodeItem, encodeItem } from '../../core/codec.js';
import { metadataNames } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { PRIVATE_FILE_MODE } from '../../core/privateFile.js';
import type { Item, WireItem } from '../../core/types.js';
import { type KeyHasher, resolveKeyHasher } from '../../keys/keyHasher.js';
import { describeTable } from '../_shared/describeTable.js';
import { linkedAbort } from '../_shared/linkedAbort.js';
import { scanTable } from '../_shared/scanTable.js';
import { TokenBucket } from '../_shared/TokenBucket.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../_shared/withRetries.js';
import { candidateLineOf } from '../verify/_internals/candidateLine.js';
import { comparePartitions } from '../verify/_internals/comparePartitions.js';
import {
  createPageSpiller,
  isPipelineRejection,
  type Side,
  spillName,
} from '../verify/_internals/pageSpiller.js';
import { SpillFiles } from '../verify/_internals/SpillFiles.js';
import { compareObservations } from '../verify/compareObservations.js';
import { canonicalKeyId, comparisonRules } from '../verify/digest.js';
import { VerifyErrorCodes, verifyError } from '../verify/errors.js';
import { type Candidate, settleCandidates } from '../verify/settleCandidates.js';
import {
  type Difference,
  type DifferenceKind,
  DifferenceKinds,
  identityTransform,
  type SourceTransform,
  type VerifyProgress,
  type VerifyReport,
} from '../verify/types.js';
import { jobSpecKey } from './planJob.js';
import type { JobSpec, JobStore, ScaleoutTask, ScaleoutTaskResult, TaskRunner } from './protocol.js';

/** What a verify task runner needs besides the task: the config, clients and the job store. */
export interface VerifyTaskDeps {
  readonly store: JobStore;
  readonly config: Config;
  /** DynamoDB clients by region (the caller owns them). */
  readonly clients: Readonly<Record<string, DynamoDBClient>>;
  /** The peer's pipeline, applied to source items. @default identity */
  readonly transform?: SourceTransform;
  /** See `VerifyOptions.sourceKeyOf`. @default the target key's attributes named like the source's */
  readonly sourceKeyOf?: (targetKey: Item) => Item | undefined;
  /** @default the deployment's (`resolveKeyHasher`) */
  readonly keyHasher?: KeyHasher;
  /** When given, a job planned with another config version is refused (`verify.jobMismatch`). */
  readonly configVersion?: string;
  /** Folder for a task's scratch files (a fresh sub-folder per task, removed after). @default os.tmpdir() */
  readonly workDir?: string;
  /** Wall clock, epoch ms (repair versions, scan end times). @default Date.now */
  readonly now?: () => number;
  /** The clock a task's `deadlineAt` is read on, epoch ms. @default Date.now */
  readonly clock?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** @default 10 attempts, 50 ms base, 5 s max delay */
  readonly retry?: Partial<RetryPolicy>;
  readonly onProgress?: (progress: VerifyProgress) => void;
}

/** The verify options a job carries in `JobSpec.options` (all optional, verify's defaults). */
export interface VerifyJobOptions {
  readonly settleSeconds?: number;
  readonly settleRounds?: number;
  readonly repair?: boolean;
  readonly dryRun?: boolean;
  readonly pageSize?: number;
  readonly maxEntriesInMemory?: number;
  readonly sampleSize?: number;
  readonly repairConcurrency?: number;
}

type Pair = { source: number; target: number };

/** What one invocation of a segment read, stored beside its part (`part-<n>/stats.json`). */
interface ScanStats {
  scanned: Pair;
  live: Pair;
  tombstones: Pair;
  /** Lines per partition and side of the part. */
  counts: Record<Side, number[]>;
  rejected: Record<string, number>;
  consumed: { source: number; target: number; estimated: boolean };
  bytes: number;
  endedAtMs: number;
}

/** A segment's or partition's figures once done (`stats.json`). */
interface DoneStats extends ScanStats {
  /** Parts the segment's invocations wrote (shuffle, or more than one invocation). */
  parts: number;
  candidates: number;
  splits: number;
  peakEntries: number;
  spilledBytes: number;
}

/** Store keys of a verify job. */
export const verifyJobKeys = (jobId: string) => {
  const job = `jobs/${jobId}`;
  const segment = (index: number) => `${job}/segments/${index}`;
  const partition = (index: number) => `${job}/partitions/${index}`;
  return {
    spec: jobSpecKey(jobId),
    segment,
    part: (index: number, part: number) => `${segment(index)}/part-${part}`,
    partition,
    /** The report ({@link VerifyReport}, JSON). */
    report: `${job}/report.json`,
    /** Every difference, one JSON line each (settled ones included). */
    differences: `${job}/differences.jsonl`,
    /** Every live source item the pipeline rejected, one JSON line each. */
    rejected: `${job}/rejected.jsonl`,
    settle: `${job}/settle.json`,
  };
};

const decoder = new TextDecoder();
const getJson = async <T>(store: JobStore, key: string): Promise<T | undefined> => {
  const body = await store.get(key);
  return body === undefined ? undefined : (JSON.parse(decoder.decode(body)) as T);
};

const addPair = (a: Pair, b: Pair): Pair => ({ source: a.source + b.source, target: a.target + b.target });
const addCounts = (a: Record<string, number>, b: Record<string, number>): Record<string, number> => {
  const sum = { ...a };
  for (const [code, count] of Object.entries(b)) sum[code] = (sum[code] ?? 0) + count;
  return sum;
};
const emptyStats = (partitions: number): ScanStats => ({
  scanned: { source: 0, target: 0 },
  live: { source: 0, target: 0 },
  tombstones: { source: 0, target: 0 },
  counts: { source: new Array<number>(partitions).fill(0), target: new Array<number>(partitions).fill(0) },
  rejected: {},
  consumed: { source: 0, target: 0, estimated: false },
  bytes: 0,
  endedAtMs: 0,
});
const addStats = (a: ScanStats, b: ScanStats): ScanStats => ({
  scanned: addPair(a.scanned, b.scanned),
  live: addPair(a.live, b.live),
  tombstones: addPair(a.tombstones, b.tombstones),
  counts: {
    source: a.counts.source.map((count, p) => count + (b.counts.source[p] ?? 0)),
    target: a.counts.target.map((count, p) => count + (b.counts.target[p] ?? 0)),
  },
  rejected: addCounts(a.rejected, b.rejected),
  consumed: {
    source: a.consumed.source + b.consumed.source,
    target: a.consumed.target + b.consumed.target,
    estimated: a.consumed.estimated || b.consumed.estimated,
  },
  bytes: a.bytes + b.bytes,
  endedAtMs: Math.max(a.endedAtMs, b.endedAtMs),
});

/**
 * Merges the candidates of every segment (or partition) by target key. Tables with the same key
 * schema put a key in the same segment, so a key is almost always a candidate of one segment only;
 * when it is not (a key the two scans placed in different segments), one segment saw it at the
 * source only and the other at the target only. Merged, the pair is the key's true scanned state:
 * the source observation from one, the target's from the other, compared again; a pair that agrees
 * is no candidate at all, so such a key can never be reported as drift.
 *
 * ```
 * segment 2: k  source L/d1  target absent ─┐
 * segment 5: k  source absent target L/d1  ─┴─► k  source L/d1  target L/d1 ─► equal: dropped
 * ```
 * @returns the merged candidate lines, in key order.
 */
export const mergeCandidates = (lines: Iterable<string>): string[] => {
  const byKey = new Map<string, Omit<Candidate, 'previous'>>();
  for (const line of lines) {
    const candidate = JSON.parse(line) as Omit<Candidate, 'previous'>;
    const seen = byKey.get(candidate.k);
    if (seen === undefined) {
      byKey.set(candidate.k, candidate);
      continue;
    }
    const source = seen.scanned.source.state === 'absent' ? candidate.scanned.source : seen.scanned.source;
    const target = seen.scanned.target.state === 'absent' ? candidate.scanned.target : seen.scanned.target;
    byKey.set(candidate.k, {
      ...seen,
      sk: seen.sk ?? candidate.sk,
      scanned: { source, target },
    });
  }
  const merged: string[] = [];
  for (const key of [...byKey.keys()].sort()) {
    const candidate = byKey.get(key)!;
    const was = compareObservations(candidate.scanned.source, candidate.scanned.target);
    if (was === undefined) continue;
    merged.push(JSON.stringify({ ...candidate, was }));
  }
  return merged;
};

/** The attributes `names` of an item; `undefined` when one is missing. */
const project = (item: Item, names: readonly string[]): Item | undefined => {
  const key: Record<string, Item[string]> = {};
  for (const name of names) {
    const value = item[name];
    if (value === undefined) return undefined;
    key[name] = value;
  }
  return key;
};

/**
 * The task runner of verify jobs: the phases of `verify`, each a task a worker runs in-process, under
 * `dynasync worker` or in a Lambda, with everything it hands on in the job store.
 *
 * ```
 * scanSegment i   scan segment i of both tables (same TotalSegments) ─► pipeline ─► digest ─► spill
 *                 at deadlineAt: stop after the page, store the part, answer a continuation
 *                 done, no shuffle: compare the segment's two sides ─► segments/i/candidates.jsonl
 *                 done, shuffle:   the parts stay, by output-key partition
 * comparePartition p (shuffle only): partition p of every segment's parts ─► partitions/p/candidates.jsonl
 * settle          merge candidates by key ─► consistent re-reads, rounds ─► report.json, differences.jsonl
 * ```
 * A task whose result is stored returns it unchanged: a job run again under its id resumes.
 */
export const createVerifyTaskRunner = (deps: VerifyTaskDeps): TaskRunner => {
  const { store, config } = deps;
  const now = deps.now ?? Date.now;
  const clock = deps.clock ?? Date.now;
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...deps.retry };
  const sleep =
    deps.sleep ??
    ((ms: number, signal?: AbortSignal) =>
      delay(ms, undefined, signal === undefined ? undefined : { signal }));
  const progress = deps.onProgress ?? (() => undefined);
  const given = deps.transform ?? identityTransform;
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
  const names = metadataNames(config);
  const rules = comparisonRules(config, names);
  const jobs = new Map<string, ReturnType<typeof loadJob>>();

  const loadJob = async (jobId: string, signal?: AbortSignal) => {
    const spec = await getJson<JobSpec>(store, jobSpecKey(jobId));
    if (spec === undefined || spec.command !== 'verify')
      throw verifyError(
        VerifyErrorCodes.jobMismatch,
        `verify: the job store holds no verify job "${jobId}"`,
        {
          jobId,
        },
      );
    if (deps.configVersion !== undefined && spec.configVersion !== deps.configVersion)
      throw verifyError(
        VerifyErrorCodes.jobMismatch,
        `verify: job "${jobId}" was planned with config version ${spec.configVersion}, this worker has ${deps.configVersion}; start a new job`,
        { jobId },
      );
    const { from, to } = spec;
    const sourceClient = deps.clients[from];
    const targetClient = deps.clients[to];
    if (
      sourceClient === undefined ||
      targetClient === undefined ||
      !config.regions[from] ||
      !config.regions[to]
    )
      throw verifyError(
        VerifyErrorCodes.invalidOption,
        `verify: no DynamoDB client or table for ${from} → ${to}`,
        {
          option: 'clients',
        },
      );
    const sourceTable = config.regions[from]!.table;
    const targetTable = config.regions[to]!.table;
    const [sourceInfo, targetInfo] = await Promise.all([
      describeTable('verify', sourceClient, from, sourceTable, retry, signal),
      describeTable('verify', targetClient, to, targetTable, retry, signal),
    ]);
    const sourceKeyNames = sourceInfo.keyNames;
    const targetKeyNames = targetInfo.keyNames;
    const sameKeys =
      given === identityTransform &&
      sourceKeyNames.length === targetKeyNames.length &&
      sourceKeyNames.every((name) => targetKeyNames.includes(name));
    const keyHashOf = deps.keyHasher ?? (await resolveKeyHasher(config, spec.from));
    return {
      spec,
      keyHashOf,
      options: spec.options as VerifyJobOptions,
      keys: verifyJobKeys(jobId),
      sourceClient,
      targetClient,
      sourceTable,
      targetTable,
      sourceKeyNames,
      targetKeyNames,
      sameKeys,
    };
  };
  const job = (jobId: string, signal?: AbortSignal) => {
    let loading = jobs.get(jobId);
    if (loading === undefined) {
      loading = loadJob(jobId, signal);
      jobs.set(jobId, loading);
      loading.catch(() => jobs.delete(jobId));
    }
    return loading;
  };
  type Job = Awaited<ReturnType<typeof loadJob>>;

  /** Appends a stored object to a local file (nothing when there is none). */
  const appendStored = async (key: string, path: string): Promise<void> => {
    const body = await store.get(key);
    if (body !== undefined && body.byteLength > 0) await appendFile(path, body, { mode: PRIVATE_FILE_MODE });
  };

  /** Compares local spill files (`partitions` of them per side) into a candidates object in the store. */
  const compareInto = async (
    dir: string,
    partitions: number,
    counts: Record<Side, readonly number[]>,
    maxEntriesInMemory: number,
    candidatesKey: string,
    signal?: AbortSignal,
  ) => {
    let candidates = 0;
    const file = SpillFiles.create(dir, 'candidates', 1);
    const spillSet = (side: Side) => ({
      partitions,
      counts: counts[side],
      path: (partition: number) => SpillFiles.pathOf(dir, spillName(side), partition),
    });
    const compared = await comparePartitions({
      dir,
      source: spillSet('source'),
      target: spillSet('target'),
      maxEntriesInMemory,
      onDifferent: (sourceLine, targetLine) => {
        const line = candidateLineOf(sourceLine, targetLine);
        if (line === undefined) return;
        candidates += 1;
        file.add(0, line);
      },
      flush: () => file.flush(),
      ...(signal === undefined ? {} : { signal }),
    });
    await file.close();
    await store.put(candidatesKey, candidates === 0 ? '' : await readFile(file.path(0)));
    return {
      candidates,
      splits: compared.splits,
      peakEntries: compared.peakEntries,
      spilledBytes: compared.spilledBytes + file.bytes,
    };
  };

  const scanSegment = async (
    task: Extract<ScaleoutTask, { kind: 'scanSegment' }>,
    deadlineAt: number,
    signal?: AbortSignal,
  ): Promise<ScaleoutTaskResult> => {
    const found = await job(task.jobId, signal);
    const { spec, options, keys } = found;
    const stored = await getJson<ScaleoutTaskResult>(store, `${keys.segment(task.segment)}/result.json`);
    if (stored !== undefined) return stored;
    const continuation = task.continuation;
    const partsBefore = continuation?.parts ?? 0;
    const dir = await mkdtemp(join(deps.workDir ?? tmpdir(), 'dynasync-segment-'));
    const spiller = createPageSpiller(
      {
        dir,
        partitions: spec.partitions,
        prefix: config.metadata.prefix,
        compareVersions: rules.compareVersions,
        targetKeyNames: found.targetKeyNames,
        sourceKeyNames: found.sourceKeyNames,
        sameKeys: found.sameKeys,
        targetTable: found.targetTable,
        to: spec.to,
        onRejected: (code, sourceItem) => {
          stats.rejected[code] = (stats.rejected[code] ?? 0) + 1;
          const sourceKey = project(sourceItem, found.sourceKeyNames) ?? sourceItem;
          rejections.push(
            JSON.stringify({
              kind: 'pipelineRejected',
              code,
              sourceKey: encodeItem(sourceKey),
              keyHash: found.keyHashOf(canonicalKeyId(sourceKey, found.sourceKeyNames)),
            }),
          );
        },
      },
      given === identityTransform ? undefined : given,
    );
    const stats = emptyStats(spec.partitions);
    const rejections: string[] = [];
    try {
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
            client,
            tableName,
            segments: spec.totalSegments,
            only: [task.segment],
            startAt: () => ({
              done: false,
              ...(start === undefined ? {} : { exclusiveStartKey: start as never }),
            }),
            ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
            ...(share === undefined ? {} : { limiter: new TokenBucket({ ratePerSecond: share }) }),
            retry,
            signal: scans.signal,
            onBody: (body) => spiller.page(side, body),
            onPage: (items, units) => {
              stats.scanned[side] += items;
              stats.consumed[side] += units;
            },
            stopAfterPage: () => clock() >= deadlineAt,
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
        scanSide('source', found.sourceClient, found.sourceTable),
        scanSide('target', found.targetClient, found.targetTable),
      ]);
      scans.dispose();
      if (failure !== undefined) throw failure;
      if (signal?.aborted === true)
        throw verifyError(VerifyErrorCodes.aborted, `verify: segment ${task.segment} was interrupted`, {});
      const totals = await spiller.close();
      stats.live = { ...totals.live };
      stats.tombstones = { ...totals.tombstones };
      stats.counts = { source: [...totals.counts.source], target: [...totals.counts.target] };
      stats.bytes = totals.bytes;
      stats.endedAtMs = now();
      const done = resumeAt.source === null && resumeAt.target === null;
      let before = emptyStats(spec.partitions);
      for (let part = 0; part < partsBefore; part += 1) {
        const earlier = await getJson<ScanStats>(store, `${keys.part(task.segment, part)}/stats.json`);
        if (earlier === undefined)
          throw verifyError(
            VerifyErrorCodes.jobMismatch,
            `verify: part ${part} of segment ${task.segment} is missing from the job store`,
            { jobId: spec.jobId },
          );
        before = addStats(before, earlier);
      }
      const sum = addStats(before, stats);
      const keepAsPart = !done || spec.shuffle;
      let parts = partsBefore;
      if (keepAsPart) {
        const partKey = keys.part(task.segment, partsBefore);
        for (const side of ['source', 'target'] as const)
          for (let p = 0; p < spec.partitions; p += 1)
            if (stats.counts[side][p]! > 0)
              await store.put(
                `${partKey}/${side}-${p}.tsv`,
                await readFile(SpillFiles.pathOf(dir, spillName(side), p)),
              );
        await store.put(`${partKey}/rejected.jsonl`, rejections.map((line) => `${line}\n`).join(''));
        await store.put(`${partKey}/stats.json`, JSON.stringify(stats));
        parts += 1;
      }
      if (!done)
        return {
          kind: 'scanSegment',
          segment: task.segment,
          done: false,
          continuation: {
            invocation: (continuation?.invocation ?? 0) + 1,
            source: resumeAt.source,
            target: resumeAt.target,
            parts,
          },
          scanned: sum.scanned,
        };
      let compared = { candidates: 0, splits: 0, peakEntries: 0, spilledBytes: 0 };
      if (!spec.shuffle) {
        // The segment's earlier parts join this invocation's files; then its two sides are compared.
        for (let part = 0; part < partsBefore; part += 1)
          for (const side of ['source', 'target'] as const)
            for (let p = 0; p < spec.partitions; p += 1)
              if ((sum.counts[side][p] ?? 0) > (stats.counts[side][p] ?? 0))
                await appendStored(
                  `${keys.part(task.segment, part)}/${side}-${p}.tsv`,
                  SpillFiles.pathOf(dir, spillName(side), p),
                );
        compared = await compareInto(
          dir,
          spec.partitions,
          sum.counts,
          options.maxEntriesInMemory ?? 50_000,
          `${keys.segment(task.segment)}/candidates.jsonl`,
          signal,
        );
        const earlierRejections: string[] = [];
        for (let part = 0; part < partsBefore; part += 1) {
          const body = await store.get(`${keys.part(task.segment, part)}/rejected.jsonl`);
          if (body !== undefined) earlierRejections.push(decoder.decode(body));
        }
        await store.put(
          `${keys.segment(task.segment)}/rejected.jsonl`,
          earlierRejections.join('') + rejections.map((line) => `${line}\n`).join(''),
        );
      }
      const doneStats: DoneStats = { ...sum, parts, ...compared, bytes: sum.bytes };
      await store.put(`${keys.segment(task.segment)}/stats.json`, JSON.stringify(doneStats));
      const result: ScaleoutTaskResult = {
        kind: 'scanSegment',
        segment: task.segment,
        done: true,
        scanned: sum.scanned,
      };
      await store.put(`${keys.segment(task.segment)}/result.json`, JSON.stringify(result));
      return result;
    } finally {
      await spiller.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  };

  const comparePartition = async (
    task: Extract<ScaleoutTask, { kind: 'comparePartition' }>,
    signal?: AbortSignal,
  ): Promise<ScaleoutTaskResult> => {
    const { spec, options, keys } = await job(task.jobId, signal);
    const resultKey = `${keys.partition(task.partition)}/result.json`;
    const stored = await getJson<ScaleoutTaskResult>(store, resultKey);
    if (stored !== undefined) return stored;
    const dir = await mkdtemp(join(deps.workDir ?? tmpdir(), 'dynasync-partition-'));
    try {
      const counts: Record<Side, number[]> = { source: [0], target: [0] };
      for (const segment of spec.segments) {
        const segmentStats = await getJson<DoneStats>(store, `${keys.segment(segment)}/stats.json`);
        if (segmentStats === undefined)
          throw verifyError(
            VerifyErrorCodes.jobMismatch,
            `verify: segment ${segment} of job "${spec.jobId}" is not done`,
            { jobId: spec.jobId },
          );
        for (const side of ['source', 'target'] as const) {
          counts[side][0]! += segmentStats.counts[side][task.partition] ?? 0;
          for (let part = 0; part < segmentStats.parts; part += 1)
            await appendStored(
              `${keys.part(segment, part)}/${side}-${task.partition}.tsv`,
              SpillFiles.pathOf(dir, spillName(side), 0),
            );
        }
      }
      const compared = await compareInto(
        dir,
        1,
        counts,
        options.maxEntriesInMemory ?? 50_000,
        `${keys.partition(task.partition)}/candidates.jsonl`,
        signal,
      );
      await store.put(`${keys.partition(task.partition)}/stats.json`, JSON.stringify(compared));
      const result: ScaleoutTaskResult = {
        kind: 'comparePartition',
        partition: task.partition,
        candidates: compared.candidates,
      };
      await store.put(resultKey, JSON.stringify(result));
      return result;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  const settle = async (jobId: string, signal?: AbortSignal): Promise<ScaleoutTaskResult> => {
    const found: Job = await job(jobId, signal);
    const { spec, options, keys } = found;
    const stored = await getJson<ScaleoutTaskResult>(store, keys.settle);
    if (stored !== undefined) return stored;
    const { keyHashOf } = found;
    let scan = emptyStats(spec.partitions);
    const method = { candidates: 0, splits: 0, peakEntries: 0, spilledBytes: 0 };
    const candidateKeys: string[] = [];
    const rejectionKeys: string[] = [];
    for (const segment of spec.segments) {
      const segmentStats = await getJson<DoneStats>(store, `${keys.segment(segment)}/stats.json`);
      if (segmentStats === undefined)
        throw verifyError(
          VerifyErrorCodes.jobMismatch,
          `verify: segment ${segment} of job "${jobId}" is not done`,
          { jobId },
        );
      scan = addStats(scan, segmentStats);
      if (spec.shuffle) {
        for (let part = 0; part < segmentStats.parts; part += 1)
          rejectionKeys.push(`${keys.part(segment, part)}/rejected.jsonl`);
      } else {
        rejectionKeys.push(`${keys.segment(segment)}/rejected.jsonl`);
        candidateKeys.push(`${keys.segment(segment)}/candidates.jsonl`);
        method.splits += segmentStats.splits;
        method.peakEntries = Math.max(method.peakEntries, segmentStats.peakEntries);
        method.spilledBytes += segmentStats.spilledBytes;
      }
    }
    if (spec.shuffle)
      for (let partition = 0; partition < spec.partitions; partition += 1) {
        const partitionStats = await getJson<typeof method>(store, `${keys.partition(partition)}/stats.json`);
        if (partitionStats === undefined)
          throw verifyError(
            VerifyErrorCodes.jobMismatch,
            `verify: partition ${partition} of job "${jobId}" is not compared`,
            { jobId },
          );
        method.splits += partitionStats.splits;
        method.peakEntries = Math.max(method.peakEntries, partitionStats.peakEntries);
        method.spilledBytes += partitionStats.spilledBytes;
        candidateKeys.push(`${keys.partition(partition)}/candidates.jsonl`);
      }
    // Candidates are few (keys the scans disagreed on): merged by key in memory.
    const lines: string[] = [];
    for (const key of candidateKeys) {
      const body = await store.get(key);
      if (body !== undefined)
        for (const line of decoder.decode(body).split('\n')) if (line !== '') lines.push(line);
    }
    const merged = mergeCandidates(lines);
    const rejected: string[] = [];
    for (const key of rejectionKeys) {
      const body = await store.get(key);
      if (body !== undefined) rejected.push(decoder.decode(body));
    }
    await store.put(keys.rejected, rejected.join(''));

    const dir = await mkdtemp(join(deps.workDir ?? tmpdir(), 'dynasync-settle-'));
    try {
      const firstRound = SpillFiles.create(dir, 'candidates-1', 1);
      for (const line of merged) firstRound.add(0, line);
      await firstRound.close();
      const differences = SpillFiles.create(dir, 'differences', 1);
      const counts: Record<DifferenceKind, number> = { missing: 0, extra: 0, different: 0, settled: 0 };
      const sampleSize = options.sampleSize ?? 20;
      const driftSample: Difference[] = [];
      const settledSample: Difference[] = [];
      const share = spec.maxRps === undefined ? undefined : spec.maxRps;
      const { sourceKeyNames } = found;
      const settled = await settleCandidates(
        {
          config,
          from: spec.from,
          to: spec.to,
          names,
          rules,
          sourceKeyNames,
          targetKeyNames: found.targetKeyNames,
          sourceClient: found.sourceClient,
          targetClient: found.targetClient,
          sourceTable: found.sourceTable,
          targetTable: found.targetTable,
          limiters:
            share === undefined
              ? { source: undefined, target: undefined }
              : {
                  source: new TokenBucket({ ratePerSecond: share }),
                  target: new TokenBucket({ ratePerSecond: share }),
                },
          retry,
          transform,
          sourceKeyOf: deps.sourceKeyOf ?? ((targetKey: Item) => project(targetKey, sourceKeyNames)),
          keyHashOf,
          settleSeconds: options.settleSeconds ?? 5,
          settleRounds: options.settleRounds ?? 3,
          repairConcurrency: options.repairConcurrency ?? 16,
          repair: options.repair === true,
          dryRun: options.dryRun === true,
          now,
          sleep,
          progress,
          ...(signal === undefined ? {} : { signal }),
          dir,
          emit: async (difference) => {
            counts[difference.kind] += 1;
            if (difference.kind === DifferenceKinds.settled) {
              if (settledSample.length < sampleSize) settledSample.push(difference);
            } else if (driftSample.length < sampleSize) driftSample.push(difference);
            differences.add(0, JSON.stringify(difference));
            await differences.flush();
          },
        },
        firstRound,
        merged.length,
        // The grace period runs from the end of the last segment's scan.
        performance.now() - Math.max(0, now() - scan.endedAtMs),
      );
      await differences.close();
      await store.put(
        keys.differences,
        counts.missing + counts.extra + counts.different + counts.settled === 0
          ? ''
          : await readFile(differences.path(0)),
      );
      const durationMs = Math.max(1, now() - Date.parse(spec.createdAt));
      const drift = counts.missing + counts.extra + counts.different;
      const rejectedItems = Object.values(scan.rejected).reduce((sum, count) => sum + count, 0);
      const consumed = {
        source: scan.consumed.source + settled.consumed.source,
        target: scan.consumed.target + settled.consumed.target,
      };
      const report: VerifyReport = {
        from: spec.from,
        to: spec.to,
        tables: { source: found.sourceTable, target: found.targetTable },
        inSync: drift === 0 && rejectedItems === 0,
        counts,
        pipelineRejected: scan.rejected,
        scanned: scan.scanned,
        live: scan.live,
        tombstones: scan.tombstones,
        consumedCapacity: {
          source: Number(consumed.source.toFixed(1)),
          target: Number(consumed.target.toFixed(1)),
          estimated: scan.consumed.estimated || settled.consumed.estimated,
        },
        settings: {
          segments: spec.totalSegments,
          settleSeconds: options.settleSeconds ?? 5,
          settleRounds: options.settleRounds ?? 3,
          maxRps: spec.maxRps ?? null,
          topology: config.topology.type,
          versionsCompared: rules.compareVersions,
        },
        method: {
          partitions: spec.partitions,
          splits: method.splits,
          maxEntriesInMemory: options.maxEntriesInMemory ?? 50_000,
          peakEntriesInMemory: method.peakEntries,
          spilledBytes: scan.bytes + method.spilledBytes + settled.spilledBytes,
          candidates: merged.length,
          consistentReads: settled.consistentReads,
        },
        ...(options.repair === true
          ? { repair: { dryRun: options.dryRun === true, counts: settled.repairCounts } }
          : {}),
        durationMs: Math.round(durationMs),
        itemsPerSecond: Math.round((scan.scanned.source + scan.scanned.target) / (durationMs / 1000)),
        sample: [...driftSample, ...settledSample].slice(0, sampleSize),
        scaleout: {
          jobId,
          segmentsScanned: spec.segments.length,
          sample: spec.sample,
          shuffled: spec.shuffle,
        },
      };
      await store.put(keys.report, JSON.stringify(report));
      const result: ScaleoutTaskResult = { kind: 'settle', inSync: report.inSync, reportKey: keys.report };
      await store.put(keys.settle, JSON.stringify(result));
      return result;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  return async (task, context) => {
    switch (task.kind) {
      case 'scanSegment':
        return scanSegment(task, context.deadlineAt, context.signal);
      case 'comparePartition':
        return comparePartition(task, context.signal);
      case 'settle':
        return settle(task.jobId, context.signal);
    }
  };
};

/** Reads a finished job's report and its differences and rejections from the store. */
export const readVerifyResult = async (
  store: JobStore,
  jobId: string,
): Promise<{
  report: VerifyReport;
  differences: AsyncIterable<Difference>;
  rejected: AsyncIterable<Record<string, unknown>>;
}> => {
  const keys = verifyJobKeys(jobId);
  const report = await getJson<VerifyReport>(store, keys.report);
  if (report === undefined)
    throw verifyError(VerifyErrorCodes.jobMismatch, `verify: job "${jobId}" has no report yet`, { jobId });
  const linesOf = async function* <T>(key: string): AsyncGenerator<T> {
    const body = await store.get(key);
    if (body === undefined) return;
    for (const line of decoder.decode(body).split('\n')) if (line !== '') yield JSON.parse(line) as T;
  };
  return { report, differences: linesOf<Difference>(keys.differences), rejected: linesOf(keys.rejected) };
};
