import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { TaskRunner } from './protocol.js';
import { handleTaskMessage } from './sqsWorker.js';
import { readWorkerEnv, workerJobStore } from './workerEnv.js';
import { createJobRunner } from './workerRuntime.js';

/** The part of Lambda's SQS event the worker reads. */
export interface SqsTaskEvent {
  readonly Records: readonly { readonly messageId: string; readonly body: string }[];
}

/** The part of Lambda's context the worker reads. */
export interface LambdaTimeContext {
  getRemainingTimeInMillis(): number;
}

/** Options of {@link createLambdaWorkerHandler}. */
export interface LambdaWorkerOptions {
  /** Built once per container, on the first message. */
  readonly runner: () => TaskRunner | Promise<TaskRunner>;
  /** @default a client for the function's region */
  readonly sfn?: SFNClient;
  /** Milliseconds kept back from the remaining time for answering Step Functions. @default 20_000 */
  readonly marginMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * The worker Lambda's handler (SQS event source, batch size 1, `reportBatchItemFailures`): runs each
 * message's task with `deadlineAt` = now + remaining time − margin, answers Step Functions, and
 * reports a message as failed only when the answer could not be sent (SQS then shows it again).
 * @example
 * export const handler = createLambdaWorkerHandler({ runner: () => createVerifyTaskRunner({ ... }) });
 */
export const createLambdaWorkerHandler = (options: LambdaWorkerOptions) => {
  let runner: Promise<TaskRunner> | undefined;
  let sfn = options.sfn;
  const now = options.now ?? Date.now;
  return async (event: SqsTaskEvent, context: LambdaTimeContext) => {
    // A runner that cannot be built (a bad environment) fails each task with its error code, answered.
    runner ??= Promise.resolve().then(() => options.runner());
    runner.catch(() => undefined);
    const built = runner;
    sfn ??= new SFNClient({});
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      try {
        await handleTaskMessage(record.body, {
          runner: async (task, taskContext) => (await built)(task, taskContext),
          sfn,
          deadlineAt: now() + context.getRemainingTimeInMillis() - (options.marginMs ?? 20_000),
        });
      } catch {
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
};

/**
 * The deployed worker's handler (`DynasyncScaleout` bundles this file with handler `handler`): on the
 * first message it reads its environment (`DYNASYNC_CONFIG`, `DYNASYNC_JOB_BUCKET`,
 * `DYNASYNC_JOB_KEY_ARN`, see `readWorkerEnv`) and builds {@link createJobRunner} over the S3 job
 * store; nothing is created at import time. A bad environment fails each task with
 * `scaleout.invalidEnvironment` (a permanent error: the execution stops at once).
 */
export const handler = createLambdaWorkerHandler({
  runner: () => {
    const environment = readWorkerEnv();
    // The function's file system is read-only but for /tmp (scratch files, a config without `keys`'s salt).
    return createJobRunner({
      config: environment.config,
      store: workerJobStore(environment),
      workDir: tmpdir(),
      saltDir: join(tmpdir(), 'dynasync'),
    });
  },
});
