import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DynasyncError, ErrorCodes, isDynasyncError } from '../../core/errors.js';
import type { ScaleoutTask, TaskMessage, TaskRunner } from './protocol.js';

/*
 * One task message, from receipt to delete:
 *
 *   receive ──► parse ──► runner(task, deadlineAt) ─────────────► SendTaskSuccess(result) ──► delete
 *                            │  every heartbeatMs:                 or SendTaskFailure(code)
 *                            │  SendTaskHeartbeat + visibility
 *                            ▼
 *                       worker dies here: no answer, no delete; the message shows again after the
 *                       visibility timeout and another worker runs the same (idempotent) task
 */

/** What became of one message. `invalid`: not a task message (no token to answer), deleted. */
export type TaskMessageOutcome = 'succeeded' | 'failed' | 'invalid' | 'tokenGone';

/** Options of {@link handleTaskMessage}. */
export interface HandleTaskMessageOptions {
  readonly runner: TaskRunner;
  readonly sfn: SFNClient;
  /** Epoch milliseconds by which the runner must hand back (a continuation if it is not done). */
  readonly deadlineAt: number;
  readonly signal?: AbortSignal;
  /** Called every `heartbeatMs` while the task runs, besides SendTaskHeartbeat (SQS: extend visibility). */
  readonly onHeartbeat?: () => Promise<void>;
  /** @default 30_000 */
  readonly heartbeatMs?: number;
}

const TASK_KINDS = new Set(['scanSegment', 'comparePartition', 'settle']);

/**
 * Parses a message body into a {@link TaskMessage}.
 * @throws DynasyncError `scaleout.invalidMessage` naming what is missing (never the body's values)
 */
export const parseTaskMessage = (body: string): TaskMessage => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new DynasyncError(ErrorCodes.scaleout.invalidMessage, 'task message: not JSON', { cause: error });
  }
  const message = parsed as { taskToken?: unknown; task?: { kind?: unknown; jobId?: unknown } } | null;
  if (typeof message?.taskToken !== 'string' || message.taskToken === '')
    throw new DynasyncError(ErrorCodes.scaleout.invalidMessage, 'task message: taskToken is not a string', {
      payload: { path: 'taskToken' },
    });
  const task = message.task;
  if (typeof task !== 'object' || task === null || !TASK_KINDS.has(task.kind as string))
    throw new DynasyncError(
      ErrorCodes.scaleout.invalidMessage,
      'task message: task.kind is not scanSegment, comparePartition or settle',
      { payload: { path: 'task.kind' } },
    );
  if (typeof task.jobId !== 'string' || task.jobId === '')
    throw new DynasyncError(ErrorCodes.scaleout.invalidMessage, 'task message: task.jobId is not a string', {
      payload: { path: 'task.jobId' },
    });
  return { taskToken: message.taskToken, task: task as ScaleoutTask };
};

/**
 * The error and cause a failed task is reported with: a DynasyncError's code and message (value-free
 * by rule); anything else is `scaleout.workerFailed` with the error's name only.
 */
export const failureOf = (error: unknown): { error: string; cause: string } =>
  isDynasyncError(error)
    ? { error: error.code, cause: error.message.slice(0, 32_000) }
    : {
        error: ErrorCodes.scaleout.workerFailed,
        cause: `the worker failed with ${error instanceof Error ? error.name : typeof error} (see the worker's log)`,
      };

const tokenGone = (error: unknown): boolean =>
  error instanceof Error && ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes(error.name);

/**
 * Runs the task of one message and answers Step Functions. The caller deletes the message after this
 * resolves; when it throws (Step Functions unreachable), the message must stay.
 */
export const handleTaskMessage = async (
  body: string,
  options: HandleTaskMessageOptions,
): Promise<TaskMessageOutcome> => {
  let message: TaskMessage;
  try {
    message = parseTaskMessage(body);
  } catch {
    return 'invalid';
  }
  const { sfn, taskToken } = { sfn: options.sfn, taskToken: message.taskToken };
  const beat = async () => {
    try {
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
      await options.onHeartbeat?.();
    } catch {
      // A missed heartbeat is retried on the next beat; the task's answer decides.
    }
  };
  const timer = setInterval(() => void beat(), options.heartbeatMs ?? 30_000);
  let answer: () => Promise<unknown>;
  let outcome: 'succeeded' | 'failed';
  try {
    const result = await options.runner(message.task, {
      deadlineAt: options.deadlineAt,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const output = JSON.stringify(result);
    answer = () => sfn.send(new SendTaskSuccessCommand({ taskToken, output }));
    outcome = 'succeeded';
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const failure = failureOf(error);
    answer = () => sfn.send(new SendTaskFailureCommand({ taskToken, ...failure }));
    outcome = 'failed';
  } finally {
    clearInterval(timer);
  }
  try {
    await answer();
  } catch (error) {
    // The execution gave up on this token (timed out, retried, stopped): nothing left to answer.
    if (tokenGone(error)) return 'tokenGone';
    throw error;
  }
  return outcome;
};

/** Options of {@link runSqsWorker}. */
export interface SqsWorkerOptions {
  readonly queueUrl: string;
  readonly runner: TaskRunner;
  readonly sfn: SFNClient;
  readonly sqs: SQSClient;
  /** Stops the loop after the current message (an abort during a task leaves its message to another worker). */
  readonly signal?: AbortSignal;
  /** Milliseconds a task may run before it hands back a continuation. @default 600_000 */
  readonly taskBudgetMs?: number;
  /** Long-poll seconds of each ReceiveMessage. @default 20 */
  readonly waitSeconds?: number;
  /** Visibility timeout set on receipt and renewed on each heartbeat. @default 300 */
  readonly visibilitySeconds?: number;
  /** @default 30_000 */
  readonly heartbeatMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** Called after each message. */
  readonly onMessage?: (outcome: TaskMessageOutcome) => void;
}

/** Counts of what a worker did until it stopped. */
export interface SqsWorkerSummary {
  readonly succeeded: number;
  readonly failed: number;
  readonly invalid: number;
  readonly tokenGone: number;
}

/**
 * A poll loop over a task queue: ReceiveMessage (long poll, one message), {@link handleTaskMessage},
 * DeleteMessage after the answer, until `signal` aborts.
 * @example
 * const controller = new AbortController();
 * await runSqsWorker({ queueUrl, runner, sfn: new SFNClient({}), sqs: new SQSClient({}), signal: controller.signal });
 */
export const runSqsWorker = async (options: SqsWorkerOptions): Promise<SqsWorkerSummary> => {
  const { sqs, queueUrl, signal } = options;
  const now = options.now ?? Date.now;
  const visibility = options.visibilitySeconds ?? 300;
  const counts = { succeeded: 0, failed: 0, invalid: 0, tokenGone: 0 };
  while (!signal?.aborted) {
    let received: ReceiveMessageCommandOutput;
    try {
      received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 1,
          WaitTimeSeconds: options.waitSeconds ?? 20,
          VisibilityTimeout: visibility,
        }),
        signal === undefined ? {} : { abortSignal: signal },
      );
    } catch (error) {
      if (signal?.aborted) break;
      throw error;
    }
    for (const { Body, ReceiptHandle } of received.Messages ?? []) {
      let outcome: TaskMessageOutcome;
      try {
        outcome = await handleTaskMessage(Body ?? '', {
          runner: options.runner,
          sfn: options.sfn,
          deadlineAt: now() + (options.taskBudgetMs ?? 600_000),
          ...(signal === undefined ? {} : { signal }),
          ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
          onHeartbeat: async () => {
            await sqs.send(
              new ChangeMessageVisibilityCommand({
                QueueUrl: queueUrl,
                ReceiptHandle,
                VisibilityTimeout: visibility,
              }),
            );
          },
        });
      } catch (error) {
        // Stopped mid-task: no answer and no delete, so the message goes to another worker.
        if (signal?.aborted) break;
        throw error;
      }
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle }));
      counts[outcome] += 1;
      options.onMessage?.(outcome);
    }
  }
  return counts;
};
