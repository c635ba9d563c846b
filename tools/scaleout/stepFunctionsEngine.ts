import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { ExecutionInput, JobSpec, JobStore } from './protocol.js';

/** Progress of a job, from the store's finished segments. */
export interface StepFunctionsProgress {
  readonly segmentsDone: number;
  readonly segmentsTotal: number;
  readonly elapsedMs: number;
  /** Milliseconds left at the rate so far, `undefined` before the first segment ends. */
  readonly etaMs: number | undefined;
}

/** Options of {@link runStepFunctionsExecution}. */
export interface StepFunctionsExecutionOptions {
  readonly sfn: SFNClient;
  readonly store: JobStore;
  readonly stateMachineArn: string;
  readonly spec: JobSpec;
  /** Appended to the execution's name; a re-run with the same job id and attempt resumes that execution. @default 1 */
  readonly attempt?: number;
  readonly onProgress?: (progress: StepFunctionsProgress) => void;
  /** @default 2_000 */
  readonly pollMs?: number;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

/** The execution name of a job attempt: Step Functions allows 80 characters of `[A-Za-z0-9_-]`. */
export const executionNameOf = (jobId: string, attempt: number): string =>
  `${jobId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 70)}-${attempt}`;

const segmentsDone = async (store: JobStore, jobId: string): Promise<number> =>
  (await store.list(`jobs/${jobId}/segments/`)).filter((key) => key.endsWith('/result.json')).length;

/**
 * Runs (or resumes) a job (verify or backfill) on the `DynasyncScaleout` state machine: writes the job spec to the
 * store, starts the execution named after the job id and attempt (an execution of that name that
 * already exists is followed instead), reports progress from the store until the execution ends,
 * and returns the report the settle task wrote.
 * @throws DynasyncError `scaleout.executionFailed` naming the execution and the error it failed with
 */
export const runStepFunctionsExecution = async <Report = unknown>(
  options: StepFunctionsExecutionOptions,
): Promise<Report> => {
  const { sfn, store, spec } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const specKey = `jobs/${spec.jobId}/job.json`;
  if ((await store.get(specKey)) === undefined) await store.put(specKey, JSON.stringify(spec));
  const input: ExecutionInput = {
    jobId: spec.jobId,
    segments: spec.segments,
    partitions: spec.shuffle ? Array.from({ length: spec.partitions }, (_, i) => i) : [],
  };
  // Start attempt n; when an execution of that name exists, follow it if it runs or succeeded, else
  // start attempt n+1 (finished tasks return their stored results, so the job resumes).
  let executionArn: string | undefined;
  for (let attempt = options.attempt ?? 1; executionArn === undefined; attempt += 1) {
    const name = executionNameOf(spec.jobId, attempt);
    try {
      executionArn = (
        await sfn.send(
          new StartExecutionCommand({
            stateMachineArn: options.stateMachineArn,
            name,
            input: JSON.stringify(input),
          }),
        )
      ).executionArn as string;
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists'))
        throw error;
      const existing = `${options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn: existing }));
      if (status === 'RUNNING' || status === 'SUCCEEDED') executionArn = existing;
    }
  }
  const started = now();
  for (;;) {
    if (options.signal?.aborted)
      throw new DynasyncError(ErrorCodes.cli.interrupted, `interrupted; execution ${executionArn} goes on`);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const done = await segmentsDone(store, spec.jobId);
    const elapsedMs = now() - started;
    const total = spec.segments.length;
    options.onProgress?.({
      segmentsDone: done,
      segmentsTotal: total,
      elapsedMs,
      etaMs: done === 0 ? undefined : Math.round((elapsedMs / done) * (total - done)),
    });
    if (described.status === 'SUCCEEDED') {
      const output = JSON.parse(described.output ?? '{}') as { reportKey?: string };
      const body = output.reportKey === undefined ? undefined : await store.get(output.reportKey);
      if (body === undefined)
        throw new DynasyncError(
          ErrorCodes.scaleout.executionFailed,
          `execution ${executionArn} succeeded but its report is not in the job store`,
          { payload: { executionArn } },
        );
      return JSON.parse(new TextDecoder().decode(body)) as Report;
    }
    if (described.status !== 'RUNNING' && described.status !== 'PENDING_REDRIVE')
      throw new DynasyncError(
        ErrorCodes.scaleout.executionFailed,
        `execution ${executionArn} ended ${described.status}${described.error === undefined ? '' : ` with ${described.error}`}; run again with the same job id to resume`,
        { payload: { executionArn, status: described.status, error: described.error } },
      );
    await sleep(options.pollMs ?? 2_000);
  }
};

/** @deprecated the same as {@link StepFunctionsExecutionOptions}, its name from when only verify ran on it. */
export type StepFunctionsVerifyOptions = StepFunctionsExecutionOptions;

/** @deprecated the same as {@link runStepFunctionsExecution}, its name from when only verify ran on it. */
export const runStepFunctionsVerify = runStepFunctionsExecution;
