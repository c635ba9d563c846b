import type {
  JobSpec,
  JobStore,
  ScaleoutTask,
  ScaleoutTaskResult,
  TaskRunner,
} from '../../tools/scaleout/protocol.js';

/** A JobStore in memory, for tests: `puts` counts the writes by key. */
export const memoryJobStore = (): JobStore & { readonly objects: Map<string, Uint8Array> } => {
  const objects = new Map<string, Uint8Array>();
  return {
    objects,
    put: async (key, body) => {
      objects.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body);
    },
    get: async (key) => objects.get(key),
    list: async (prefix) => [...objects.keys()].filter((key) => key.startsWith(prefix)).sort(),
  };
};

/** Options of {@link runJobTasks}. */
export interface RunJobTasksOptions {
  readonly workers: number;
  /** The deadline clock. @default () => 0 */
  readonly clock?: () => number;
  /** Each invocation's deadline is `clock() + invocationMs`. @default a day */
  readonly invocationMs?: number;
  /** Only these segments (a job interrupted after them). @default the spec's */
  readonly segments?: readonly number[];
  /** Skip the settle task. @default false */
  readonly noSettle?: boolean;
}

/**
 * A minimal engine for tests: stores the spec, runs every `scanSegment` with `workers` at once
 * (sending a task again with its continuation while it answers `done: false`), then `settle`.
 * @returns every result in the order they came, and the invocations per segment.
 */
export const runJobTasks = async (
  spec: JobSpec,
  store: JobStore,
  runner: TaskRunner,
  options: RunJobTasksOptions,
): Promise<{ readonly results: ScaleoutTaskResult[]; readonly invocations: Map<number, number> }> => {
  await store.put(`jobs/${spec.jobId}/job.json`, JSON.stringify(spec));
  const clock = options.clock ?? (() => 0);
  const invocationMs = options.invocationMs ?? 86_400_000;
  const results: ScaleoutTaskResult[] = [];
  const invocations = new Map<number, number>();
  const queue: ScaleoutTask[] = (options.segments ?? spec.segments).map((segment) => ({
    kind: 'scanSegment',
    jobId: spec.jobId,
    segment,
  }));
  const worker = async (): Promise<void> => {
    for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
      const result = await runner(task, { deadlineAt: clock() + invocationMs });
      results.push(result);
      if (task.kind !== 'scanSegment' || result.kind !== 'scanSegment') continue;
      invocations.set(task.segment, (invocations.get(task.segment) ?? 0) + 1);
      if (!result.done)
        queue.push({
          ...task,
          ...(result.continuation === undefined ? {} : { continuation: result.continuation }),
        });
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
  if (options.noSettle !== true)
    results.push(await runner({ kind: 'settle', jobId: spec.jobId }, { deadlineAt: clock() + invocationMs }));
  return { results, invocations };
};
