import type { JobSpec, ScaleoutTask, ScaleoutTaskResult, TaskRunner } from './protocol.js';

/** Options of {@link runLocalEngine}. */
export interface LocalEngineOptions {
  /** Tasks run at once, in this process. @default the spec's `concurrency` */
  readonly workers?: number;
  /** Time one invocation of a task may take before it hands back a continuation, ms. @default 600000 */
  readonly invocationMs?: number;
  /** Clock of the deadlines, epoch ms. @default Date.now */
  readonly clock?: () => number;
  readonly signal?: AbortSignal;
  /** Called after each task's invocation (for progress). */
  readonly onResult?: (task: ScaleoutTask, result: ScaleoutTaskResult) => void;
}

/**
 * Runs a planned job with N in-process workers: every `scanSegment` (sent again with its
 * continuation while it answers `done: false`), then every `comparePartition` when the job
 * shuffles, then `settle`. The runner returns a stored result for a task already done, so running a
 * job again under the same id resumes it. The first failure stops handing out tasks and is thrown.
 *
 * ```
 * workers ─► scanSegment 0 … n-1 (continuations queued again) ─► comparePartition 0 … p-1 ─► settle
 * ```
 * @returns the settle task's result (`reportKey` names the report in the store).
 */
export const runLocalEngine = async (
  spec: JobSpec,
  runner: TaskRunner,
  options: LocalEngineOptions = {},
): Promise<Extract<ScaleoutTaskResult, { kind: 'settle' }>> => {
  const workers = Math.max(1, options.workers ?? spec.concurrency);
  const invocationMs = options.invocationMs ?? 600_000;
  const clock = options.clock ?? Date.now;
  const context = () => ({
    deadlineAt: clock() + invocationMs,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const runAll = async (queue: ScaleoutTask[]): Promise<void> => {
    let failure: unknown;
    const worker = async (): Promise<void> => {
      for (let task = queue.shift(); task !== undefined && failure === undefined; task = queue.shift()) {
        try {
          const result = await runner(task, context());
          options.onResult?.(task, result);
          if (result.kind === 'scanSegment' && !result.done && task.kind === 'scanSegment')
            queue.push({
              ...task,
              ...(result.continuation === undefined ? {} : { continuation: result.continuation }),
            });
        } catch (error) {
          failure ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    if (failure !== undefined) throw failure;
  };
  await runAll(spec.segments.map((segment) => ({ kind: 'scanSegment', jobId: spec.jobId, segment })));
  if (spec.shuffle)
    await runAll(
      Array.from({ length: spec.partitions }, (_, partition) => ({
        kind: 'comparePartition',
        jobId: spec.jobId,
        partition,
      })),
    );
  const result = await runner({ kind: 'settle', jobId: spec.jobId }, context());
  options.onResult?.({ kind: 'settle', jobId: spec.jobId }, result);
  if (result.kind !== 'settle') throw new Error(`runLocalEngine: settle answered a ${result.kind} result`);
  return result;
};
