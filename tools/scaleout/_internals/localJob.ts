import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from '../../../core/config/types.js';
import { jobSpecKey } from '../planJob.js';
import type { JobSpec, JobStore, TaskRunner } from '../protocol.js';
import { runLocalEngine } from '../runLocalEngine.js';

/** The options a local job of either command takes: the tables, the segments and workers, the store. */
export interface LocalJobOptions {
  readonly config: Config;
  readonly from: string;
  readonly to: string;
  readonly clients: Readonly<Record<string, DynamoDBClient>>;
  /** `TotalSegments` of the scans. @default 4 */
  readonly segments?: number;
  /** In-process workers (each takes a `1 / workers` share of the job's rate budgets). @default 4 */
  readonly workers?: number;
  /** Resume this job (its stored plan is used); a fresh one is planned when the store has none. */
  readonly jobId?: string;
  /** The job store's folder. @default `<os.tmpdir()>/dynasync-jobs` */
  readonly jobDir?: string;
  /** Called when the job is planned or found, before any task runs. */
  readonly onJob?: (spec: JobSpec, dir: string) => void;
  readonly signal?: AbortSignal;
}

/** The job store folder used when none is given. */
export const defaultJobDir = (): string => join(tmpdir(), 'dynasync-jobs');

/**
 * The job to run: the one stored under `jobId` (to resume it, with the plan it was made with), or a
 * fresh plan, stored at `jobs/<jobId>/job.json` before any task runs.
 */
export const openJob = async (
  store: JobStore,
  jobId: string | undefined,
  plan: () => JobSpec,
): Promise<JobSpec> => {
  const existing = jobId === undefined ? undefined : await store.get(jobSpecKey(jobId));
  if (existing !== undefined) return JSON.parse(new TextDecoder().decode(existing)) as JobSpec;
  const spec = plan();
  await store.put(jobSpecKey(spec.jobId), JSON.stringify(spec));
  return spec;
};

/** Options of {@link runLocalJob}. */
export interface LocalJobRunOptions {
  readonly workers: number;
  readonly signal?: AbortSignal;
  /**
   * Called after each segment that finishes, with the segments done so far and the items the
   * segment tasks read so far, both tables (for a progress line).
   */
  readonly onSegments?: (done: number, total: number, items: number) => void;
}

/** Runs a planned job on {@link runLocalEngine}, counting the segments that finish. */
export const runLocalJob = async (
  spec: JobSpec,
  runner: TaskRunner,
  options: LocalJobRunOptions,
): Promise<void> => {
  let done = 0;
  // A segment's result counts what it read over all its invocations so far.
  const items = new Map<number, number>();
  let total = 0;
  await runLocalEngine(spec, runner, {
    workers: options.workers,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onResult: (_, result) => {
      if (result.kind !== 'scanSegment') return;
      const read = result.scanned.source + result.scanned.target;
      total += read - (items.get(result.segment) ?? 0);
      items.set(result.segment, read);
      if (result.done) {
        done += 1;
        options.onSegments?.(done, spec.segments.length, total);
      }
    },
  });
};
