import { readFile, rm } from 'node:fs/promises';
import type { Item } from '../../../core/types.js';
import { TokenBucket } from '../../_shared/TokenBucket.js';
import { createDifferenceTally } from '../../verify/_internals/differenceTally.js';
import { SpillFiles } from '../../verify/_internals/SpillFiles.js';
import { project } from '../../verify/_internals/verifyRun.js';
import { type SettleContext, type SettleTotals, settleCandidates } from '../../verify/settleCandidates.js';
import type { Difference, DifferenceKind } from '../../verify/types.js';
import type { ScaleoutTaskResult } from '../protocol.js';
import { buildSettleReport } from './buildSettleReport.js';
import { gatherSettleInputs } from './gatherSettleInputs.js';
import { getJson, getTexts } from './jobStoreReads.js';
import { mergeCandidates } from './mergeCandidates.js';
import type { VerifyJob } from './verifyJob.js';
import type { ScanStats } from './verifyJobStats.js';
import { taskDir, type VerifyTaskContext } from './verifyTaskContext.js';

/** What settling the merged candidates decided. */
interface SettleOutcome {
  readonly settled: SettleTotals;
  readonly counts: Record<DifferenceKind, number>;
  /** Drift first, then settled differences. */
  readonly sample: readonly Difference[];
  readonly sampleSize: number;
}

/** The settle phase's context for this job: its tables and options, the runner's clocks and pipeline. */
const settleContextOf = (
  context: VerifyTaskContext,
  job: VerifyJob,
  dir: string,
  emit: SettleContext['emit'],
  signal: AbortSignal | undefined,
): SettleContext => {
  const { spec, options, sourceKeyNames } = job;
  const share = spec.maxRps;
  return {
    config: context.config,
    from: spec.from,
    to: spec.to,
    names: context.names,
    rules: context.rules,
    sourceKeyNames,
    targetKeyNames: job.targetKeyNames,
    sourceClient: job.sourceClient,
    targetClient: job.targetClient,
    sourceTable: job.sourceTable,
    targetTable: job.targetTable,
    limiters:
      share === undefined
        ? { source: undefined, target: undefined }
        : {
            source: new TokenBucket({ ratePerSecond: share }),
            target: new TokenBucket({ ratePerSecond: share }),
          },
    retry: context.retry,
    transform: context.transform,
    sourceKeyOf: context.sourceKeyOf ?? ((targetKey: Item) => project(targetKey, sourceKeyNames)),
    keyHashOf: job.keyHashOf,
    settleSeconds: options.settleSeconds ?? 5,
    settleRounds: options.settleRounds ?? 3,
    repairConcurrency: options.repairConcurrency ?? 16,
    repair: options.repair === true,
    dryRun: options.dryRun === true,
    now: context.now,
    sleep: context.sleep,
    progress: context.progress,
    ...(signal === undefined ? {} : { signal }),
    dir,
    emit,
  };
};

/**
 * Settles the merged candidates in `dir`: every difference goes to the job's `differences.jsonl`
 * (empty when there is none), counted and sampled.
 */
const settleMerged = async (
  context: VerifyTaskContext,
  job: VerifyJob,
  merged: readonly string[],
  scan: ScanStats,
  dir: string,
  signal: AbortSignal | undefined,
): Promise<SettleOutcome> => {
  const firstRound = SpillFiles.create(dir, 'candidates-1', 1);
  for (const line of merged) firstRound.add(0, line);
  await firstRound.close();
  const differences = SpillFiles.create(dir, 'differences', 1);
  const tally = createDifferenceTally(job.options.sampleSize ?? 20, async (difference) => {
    differences.add(0, JSON.stringify(difference));
    await differences.flush();
  });
  const settled = await settleCandidates(
    settleContextOf(context, job, dir, tally.emit, signal),
    firstRound,
    merged.length,
    // The grace period runs from the end of the last segment's scan.
    performance.now() - Math.max(0, context.now() - scan.endedAtMs),
  );
  await differences.close();
  const { counts } = tally;
  await context.store.put(
    job.keys.differences,
    counts.missing + counts.extra + counts.different + counts.settled === 0
      ? ''
      : await readFile(differences.path(0)),
  );
  return { settled, counts, sample: tally.sample(), sampleSize: job.options.sampleSize ?? 20 };
};

/**
 * The settle task: merges every segment's (or partition's) candidates by key, re-reads them
 * consistently round by round, and stores the report.
 *
 * ```
 * stats.json of each segment (partition) ─► candidates merged by key ─► rejected.jsonl
 *   ─► settle rounds ─► differences.jsonl ─► report.json ─► settle.json (the result)
 * ```
 * A job whose settle result is stored returns it unchanged.
 * @throws DynasyncError `verify.jobMismatch` when a segment is not done or a partition not compared.
 */
export const verifySettle = async (
  context: VerifyTaskContext,
  jobId: string,
  signal?: AbortSignal,
): Promise<ScaleoutTaskResult> => {
  const { store } = context;
  const job = await context.job(jobId, signal);
  const { keys } = job;
  const stored = await getJson<ScaleoutTaskResult>(store, keys.settle);
  if (stored !== undefined) return stored;
  const inputs = await gatherSettleInputs(store, job, jobId);
  // Candidates are few (keys the scans disagreed on): merged by key in memory.
  const lines = (await getTexts(store, inputs.candidateKeys)).flatMap((text) =>
    text.split('\n').filter((line) => line !== ''),
  );
  const merged = mergeCandidates(lines);
  await store.put(keys.rejected, (await getTexts(store, inputs.rejectionKeys)).join(''));
  const dir = await taskDir(context, 'dynasync-settle-');
  try {
    const outcome = await settleMerged(context, job, merged, inputs.scan, dir, signal);
    const report = buildSettleReport({
      jobId,
      job,
      config: context.config,
      rules: context.rules,
      inputs,
      candidates: merged.length,
      ...outcome,
      nowMs: context.now(),
    });
    await store.put(keys.report, JSON.stringify(report));
    const result: ScaleoutTaskResult = { kind: 'settle', inSync: report.inSync, reportKey: keys.report };
    await store.put(keys.settle, JSON.stringify(result));
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
