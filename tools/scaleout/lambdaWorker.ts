import { SFNClient } from '@aws-sdk/client-sfn';
import type { TaskRunner } from './protocol.js';
import { handleTaskMessage } from './sqsWorker.js';

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
    runner ??= Promise.resolve(options.runner());
    sfn ??= new SFNClient({});
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      try {
        await handleTaskMessage(record.body, {
          runner: await runner,
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
