import type { RetryPolicy } from '../_shared/withRetries.js';
import type { KeySealer } from '../backfill/checkpointProgress.js';
import { BackfillErrorCodes, backfillError } from '../backfill/errors.js';
import type { BackfillReport } from '../backfill/types.js';
import type { SourceTransform } from '../verify/types.js';
import { defaultJobDir, type LocalJobOptions, openJob, runLocalJob } from './_internals/localJob.js';
import {
  type BackfillJobOptions,
  backfillJobSpec,
  createBackfillTaskRunner,
  readBackfillReport,
} from './backfillTasks.js';
import { FileJobStore } from './FileJobStore.js';
import { newJobId } from './planJob.js';
import type { JobSpec, TaskRunner } from './protocol.js';

/** Options of {@link runLocalBackfill}. */
export interface LocalBackfillOptions extends LocalJobOptions {
  readonly maxRps?: number;
  readonly maxWps?: number;
  /** What each worker's writes use (`writeConcurrency`, `pageSize`). @default the task runner's */
  readonly options?: BackfillJobOptions;
  /** The target peer's pipeline, applied to each source item. @default identity */
  readonly transform?: SourceTransform;
  /** Seals the stored resume keys of a masking peer. @default in clear */
  readonly keySealer?: KeySealer;
  readonly retry?: Partial<RetryPolicy>;
  /** Wall clock of the plan and the report's duration, epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Wraps the task runner (tests: count or interrupt tasks). @default the runner itself */
  readonly wrapRunner?: (runner: TaskRunner) => TaskRunner;
  /** Called after each segment that finishes: segments done so far, of all, and the items read so far. */
  readonly onSegments?: (done: number, total: number, items: number) => void;
}

/**
 * `backfill` through the scale-out task engine on this machine: plans the job over every segment (or
 * finds it, to resume: finished segments are not scanned again), runs its tasks with N in-process
 * workers over a {@link FileJobStore}, and returns the {@link BackfillReport} the settle task stored —
 * the single-process backfill's report, on its conditional path.
 * @throws DynasyncError `backfill.jobMismatch` for a job id of another command or config version, and
 *   what the task runner throws (`backfill.writeFailed`, `scan.failed`, `backfill.aborted`…)
 */
export const runLocalBackfill = async (
  options: LocalBackfillOptions,
): Promise<{ report: BackfillReport; spec: JobSpec; dir: string }> => {
  const dir = options.jobDir ?? defaultJobDir();
  const store = new FileJobStore(dir);
  const workers = options.workers ?? 4;
  const now = options.now ?? Date.now;
  const spec = await openJob(store, options.jobId, () =>
    backfillJobSpec({
      jobId: options.jobId ?? newJobId('backfill', now()),
      configVersion: options.config.configVersion,
      from: options.from,
      to: options.to,
      totalSegments: options.segments ?? 4,
      concurrency: workers,
      ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
      ...(options.maxWps === undefined ? {} : { maxWps: options.maxWps }),
      ...(options.options === undefined ? {} : { options: options.options }),
      now: now(),
    }),
  );
  options.onJob?.(spec, dir);
  const runner = createBackfillTaskRunner({
    store,
    config: options.config,
    clients: options.clients,
    configVersion: options.config.configVersion,
    now,
    ...(options.transform === undefined ? {} : { transform: options.transform }),
    ...(options.keySealer === undefined ? {} : { keySealer: options.keySealer }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
  });
  await runLocalJob(spec, options.wrapRunner?.(runner) ?? runner, {
    workers,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onSegments === undefined ? {} : { onSegments: options.onSegments }),
  });
  const report = await readBackfillReport(store, spec.jobId);
  if (report === undefined)
    throw backfillError(
      BackfillErrorCodes.segmentMissing,
      `backfill: job ${spec.jobId} settled without a report in ${dir}; run it again with --job-id ${spec.jobId}`,
      { jobId: spec.jobId },
    );
  return { report, spec, dir };
};
