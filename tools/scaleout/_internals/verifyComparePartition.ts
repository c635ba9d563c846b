import { rm } from 'node:fs/promises';
import { spillName } from '../../verify/_internals/pageSpiller.js';
import { SpillFiles } from '../../verify/_internals/SpillFiles.js';
import type { ScaleoutTask, ScaleoutTaskResult } from '../protocol.js';
import { compareSpillsInto } from './compareSpillsInto.js';
import { doneSegmentStats } from './doneSegmentStats.js';
import { appendStored, getJson } from './jobStoreReads.js';
import { taskDir, type VerifyTaskContext } from './verifyTaskContext.js';

/** A comparePartition task. */
export type ComparePartitionTask = Extract<ScaleoutTask, { kind: 'comparePartition' }>;

/**
 * The comparePartition task (shuffle only): partition `task.partition` of every segment's parts,
 * gathered into one local spill file per side, compared into `partitions/<p>/candidates.jsonl`.
 *
 * ```
 * segments/i/part-n/source-p.tsv, every i and n ─┐
 * segments/i/part-n/target-p.tsv, every i and n ─┴─► compare ─► partitions/p/candidates.jsonl, stats.json, result.json
 * ```
 * A partition whose result is stored returns it unchanged.
 * @throws DynasyncError `verify.jobMismatch` when a segment is not done.
 */
export const verifyComparePartition = async (
  context: VerifyTaskContext,
  task: ComparePartitionTask,
  signal?: AbortSignal,
): Promise<ScaleoutTaskResult> => {
  const { store } = context;
  const { spec, options, keys } = await context.job(task.jobId, signal);
  const resultKey = `${keys.partition(task.partition)}/result.json`;
  const stored = await getJson<ScaleoutTaskResult>(store, resultKey);
  if (stored !== undefined) return stored;
  const dir = await taskDir(context, 'dynasync-partition-');
  try {
    const lines = { source: 0, target: 0 };
    for (const segment of spec.segments) {
      const segmentStats = await doneSegmentStats(store, keys, spec.jobId, segment);
      for (const side of ['source', 'target'] as const) {
        lines[side] += segmentStats.counts[side][task.partition] ?? 0;
        for (let part = 0; part < segmentStats.parts; part += 1)
          await appendStored(
            store,
            `${keys.part(segment, part)}/${side}-${task.partition}.tsv`,
            SpillFiles.pathOf(dir, spillName(side), 0),
          );
      }
    }
    const compared = await compareSpillsInto(store, {
      dir,
      partitions: 1,
      counts: { source: [lines.source], target: [lines.target] },
      maxEntriesInMemory: options.maxEntriesInMemory ?? 50_000,
      candidatesKey: `${keys.partition(task.partition)}/candidates.jsonl`,
      signal,
    });
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
