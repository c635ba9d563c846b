import { readFile, rm } from 'node:fs/promises';
import { encodeItem } from '../../../core/codec.js';
import { createPageSpiller, type PageSpiller, spillName } from '../../verify/_internals/pageSpiller.js';
import { SpillFiles } from '../../verify/_internals/SpillFiles.js';
import { project } from '../../verify/_internals/verifyRun.js';
import { canonicalKeyId } from '../../verify/digest.js';
import { VerifyErrorCodes, verifyError } from '../../verify/errors.js';
import type { ScaleoutTask, ScaleoutTaskResult } from '../protocol.js';
import { compareSpillsInto } from './compareSpillsInto.js';
import { appendStored, getJson, getTexts } from './jobStoreReads.js';
import { type ScanSegmentSidesInput, scanSegmentSides } from './scanSegmentSides.js';
import type { VerifyJob } from './verifyJob.js';
import {
  addStats,
  type CompareStats,
  type DoneStats,
  emptyCompareStats,
  emptyStats,
  type ScanStats,
} from './verifyJobStats.js';
import { taskDir, type VerifyTaskContext } from './verifyTaskContext.js';

/** A scanSegment task. */
export type ScanSegmentTask = Extract<ScaleoutTask, { kind: 'scanSegment' }>;

const SIDES = ['source', 'target'] as const;

/** What one invocation of a segment gathers in its scratch folder and in memory. */
interface SegmentRun {
  readonly job: VerifyJob;
  readonly segment: number;
  readonly dir: string;
  /** This invocation's figures. */
  readonly stats: ScanStats;
  /** This invocation's pipeline rejections, one JSON line each (no newline). */
  readonly rejections: string[];
}

/** A spiller into the run's folder that counts and records (by key hash, value-free) each rejection. */
const createSegmentSpiller = (context: VerifyTaskContext, run: SegmentRun): PageSpiller => {
  const { job, stats, rejections } = run;
  return createPageSpiller(
    {
      dir: run.dir,
      partitions: job.spec.partitions,
      prefix: context.config.metadata.prefix,
      compareVersions: context.rules.compareVersions,
      targetKeyNames: job.targetKeyNames,
      sourceKeyNames: job.sourceKeyNames,
      sameKeys: job.sameKeys,
      targetTable: job.targetTable,
      to: job.spec.to,
      onRejected: (code, sourceItem) => {
        stats.rejected[code] = (stats.rejected[code] ?? 0) + 1;
        const sourceKey = project(sourceItem, job.sourceKeyNames) ?? sourceItem;
        rejections.push(
          JSON.stringify({
            kind: 'pipelineRejected',
            code,
            sourceKey: encodeItem(sourceKey),
            keyHash: job.keyHashOf(canonicalKeyId(sourceKey, job.sourceKeyNames)),
          }),
        );
      },
    },
    context.pipeline,
  );
};

/** The figures of the segment's parts stored by earlier invocations, added up. */
const earlierPartsStats = async (
  context: VerifyTaskContext,
  run: SegmentRun,
  partsBefore: number,
): Promise<ScanStats> => {
  const { spec, keys } = run.job;
  let before = emptyStats(spec.partitions);
  for (let part = 0; part < partsBefore; part += 1) {
    const earlier = await getJson<ScanStats>(context.store, `${keys.part(run.segment, part)}/stats.json`);
    if (earlier === undefined)
      throw verifyError(
        VerifyErrorCodes.jobMismatch,
        `verify: part ${part} of segment ${run.segment} is missing from the job store`,
        { jobId: spec.jobId },
      );
    before = addStats(before, earlier);
  }
  return before;
};

/** Stores this invocation's spill files, rejections and figures as part `part` of the segment. */
const storePart = async (context: VerifyTaskContext, run: SegmentRun, part: number): Promise<void> => {
  const { store } = context;
  const partKey = run.job.keys.part(run.segment, part);
  for (const side of SIDES)
    for (let p = 0; p < run.job.spec.partitions; p += 1)
      if ((run.stats.counts[side][p] ?? 0) > 0)
        await store.put(
          `${partKey}/${side}-${p}.tsv`,
          await readFile(SpillFiles.pathOf(run.dir, spillName(side), p)),
        );
  await store.put(`${partKey}/rejected.jsonl`, run.rejections.map((line) => `${line}\n`).join(''));
  await store.put(`${partKey}/stats.json`, JSON.stringify(run.stats));
};

/**
 * Without shuffle: the segment's earlier parts join this invocation's files, its two sides are
 * compared into `segments/<i>/candidates.jsonl`, and all its rejections go to `segments/<i>/rejected.jsonl`.
 */
const compareSegment = async (
  context: VerifyTaskContext,
  run: SegmentRun,
  sum: ScanStats,
  partsBefore: number,
  signal: AbortSignal | undefined,
): Promise<CompareStats> => {
  const { store } = context;
  const { spec, options, keys } = run.job;
  for (let part = 0; part < partsBefore; part += 1)
    for (const side of SIDES)
      for (let p = 0; p < spec.partitions; p += 1)
        if ((sum.counts[side][p] ?? 0) > (run.stats.counts[side][p] ?? 0))
          await appendStored(
            store,
            `${keys.part(run.segment, part)}/${side}-${p}.tsv`,
            SpillFiles.pathOf(run.dir, spillName(side), p),
          );
  const compared = await compareSpillsInto(store, {
    dir: run.dir,
    partitions: spec.partitions,
    counts: sum.counts,
    maxEntriesInMemory: options.maxEntriesInMemory ?? 50_000,
    candidatesKey: `${keys.segment(run.segment)}/candidates.jsonl`,
    signal,
  });
  const partKeys = Array.from(
    { length: partsBefore },
    (_, part) => `${keys.part(run.segment, part)}/rejected.jsonl`,
  );
  const earlierRejections = await getTexts(store, partKeys);
  await store.put(
    `${keys.segment(run.segment)}/rejected.jsonl`,
    earlierRejections.join('') + run.rejections.map((line) => `${line}\n`).join(''),
  );
  return compared;
};

/** Reads the segment (see {@link scanSegmentSides}) and takes the spiller's totals into the run's figures. */
const readSegment = async (
  context: VerifyTaskContext,
  run: SegmentRun,
  read: Omit<ScanSegmentSidesInput, 'job' | 'segment' | 'stats'>,
) => {
  const { stats } = run;
  const { spiller, signal } = read;
  const resumeAt = await scanSegmentSides(context, { ...read, job: run.job, segment: run.segment, stats });
  if (signal?.aborted === true)
    throw verifyError(VerifyErrorCodes.aborted, `verify: segment ${run.segment} was interrupted`, {});
  const totals = await spiller.close();
  stats.live = { ...totals.live };
  stats.tombstones = { ...totals.tombstones };
  stats.counts = { source: [...totals.counts.source], target: [...totals.counts.target] };
  stats.bytes = totals.bytes;
  stats.endedAtMs = context.now();
  return resumeAt;
};

/**
 * The scanSegment task: one invocation reads segment `task.segment` of both tables until the end or
 * `deadlineAt`, and then either stores a part and answers a continuation, or finishes the segment.
 *
 * ```
 * read ─► not done:        store part n ─► { done: false, continuation }
 *      ─► done, shuffle:   store part n ─► stats.json, result.json (the parts stay, by partition)
 *      ─► done, no shuffle: earlier parts + this read ─► candidates.jsonl, rejected.jsonl ─► stats.json, result.json
 * ```
 * A segment whose result is stored returns it unchanged.
 */
export const verifyScanSegment = async (
  context: VerifyTaskContext,
  task: ScanSegmentTask,
  deadlineAt: number,
  signal?: AbortSignal,
): Promise<ScaleoutTaskResult> => {
  const { store } = context;
  const job = await context.job(task.jobId, signal);
  const { spec, keys } = job;
  const stored = await getJson<ScaleoutTaskResult>(store, `${keys.segment(task.segment)}/result.json`);
  if (stored !== undefined) return stored;
  const partsBefore = task.continuation?.parts ?? 0;
  const dir = await taskDir(context, 'dynasync-segment-');
  const run: SegmentRun = {
    job,
    segment: task.segment,
    dir,
    stats: emptyStats(spec.partitions),
    rejections: [],
  };
  const spiller = createSegmentSpiller(context, run);
  try {
    const resumeAt = await readSegment(context, run, {
      continuation: task.continuation,
      deadlineAt,
      spiller,
      signal,
    });
    const done = resumeAt.source === null && resumeAt.target === null;
    const sum = addStats(await earlierPartsStats(context, run, partsBefore), run.stats);
    let parts = partsBefore;
    if (!done || spec.shuffle) {
      await storePart(context, run, partsBefore);
      parts += 1;
    }
    if (!done)
      return {
        kind: 'scanSegment',
        segment: task.segment,
        done: false,
        continuation: {
          invocation: (task.continuation?.invocation ?? 0) + 1,
          source: resumeAt.source,
          target: resumeAt.target,
          parts,
        },
        scanned: sum.scanned,
      };
    const compared = spec.shuffle
      ? emptyCompareStats()
      : await compareSegment(context, run, sum, partsBefore, signal);
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
