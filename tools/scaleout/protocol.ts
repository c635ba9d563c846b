/**
 * The contract between a scale-out job's driver (the CLI), its engine (in-process workers, or an
 * AWS Step Functions Distributed Map whose tasks go through SQS with a task token) and its workers.
 * Every message here is plain JSON: it crosses SQS, Step Functions state and S3 unchanged.
 *
 * A job is a list of tasks in three phases:
 * 1. `scanSegment` for each chosen segment (a worker scans segment *i* of both tables with the same
 *    `TotalSegments`, applies the target's pipeline, digests and writes what it saw to the job store);
 *    a worker that reaches its deadline hands back a continuation and the engine sends the task again;
 * 2. `comparePartition` for each partition, only when the job shuffles (a pipeline that changes keys);
 *    without a shuffle a segment worker compares its own segment at the end of its scan;
 * 3. one `settle`: the candidates of every segment or partition, merged by key, are re-read
 *    consistently, settled and reported; the report goes to the job store.
 *
 * A task is idempotent: a worker that dies is replaced by another that does the same task again and
 * overwrites the same objects, and a task whose result is already in the store returns it unchanged
 * (this is how a job re-run under the same id resumes).
 */

/** Where a segment's scan goes on: each table's `LastEvaluatedKey` (DynamoDB JSON), `null` once done. */
export interface SegmentContinuation {
  /** Invocations of this task so far (0 on the first). */
  readonly invocation: number;
  readonly source: Record<string, unknown> | null;
  readonly target: Record<string, unknown> | null;
  /** Parts already written to the store by earlier invocations of this segment. */
  readonly parts: number;
}

/** One unit of work. `jobId` names the job in the store: `jobs/<jobId>/job.json` holds its {@link JobSpec}. */
export type ScaleoutTask =
  | {
      readonly kind: 'scanSegment';
      readonly jobId: string;
      readonly segment: number;
      readonly continuation?: SegmentContinuation;
    }
  | { readonly kind: 'comparePartition'; readonly jobId: string; readonly partition: number }
  | { readonly kind: 'settle'; readonly jobId: string };

/** What a task hands back to the engine: small, everything else is in the store. */
export type ScaleoutTaskResult =
  | {
      readonly kind: 'scanSegment';
      readonly segment: number;
      /** False when the worker stopped at its deadline: send the task again with `continuation`. */
      readonly done: boolean;
      readonly continuation?: SegmentContinuation;
      /** Items read so far in this segment, per table. */
      readonly scanned: { readonly source: number; readonly target: number };
    }
  | { readonly kind: 'comparePartition'; readonly partition: number; readonly candidates: number }
  | { readonly kind: 'settle'; readonly inSync: boolean; readonly reportKey: string };

/**
 * The message a worker receives through SQS (state machine task
 * `arn:aws:states:::sqs:sendMessage.waitForTaskToken`). The worker answers with `SendTaskSuccess`
 * (output: the {@link ScaleoutTaskResult}) or `SendTaskFailure` (error: the DynasyncError code), and
 * deletes the message only after answering, so a worker that dies leaves the message to another.
 */
export interface TaskMessage {
  readonly taskToken: string;
  readonly task: ScaleoutTask;
}

/** The input of one execution of the state machine (the CLI writes it from the plan). */
export interface ExecutionInput {
  readonly jobId: string;
  /** The segments to scan (all of `0..totalSegments-1`, or a sample of them). */
  readonly segments: readonly number[];
  /** The partitions to compare: empty when the job does not shuffle. */
  readonly partitions: readonly number[];
}

/** A job as the driver planned it, stored at `jobs/<jobId>/job.json` before the first task runs. */
export interface JobSpec {
  readonly jobId: string;
  readonly command: 'verify' | 'backfill';
  /** The config version (see `configVersion`) the job was planned with; workers refuse another. */
  readonly configVersion: string;
  readonly from: string;
  readonly to: string;
  readonly totalSegments: number;
  readonly segments: readonly number[];
  /** Fraction of segments chosen (`--sample`), 1 for all. */
  readonly sample: number;
  /** True when the pipeline changes keys: digests are partitioned by output-key hash and compared by partition. */
  readonly shuffle: boolean;
  readonly partitions: number;
  /** Read (write) units per second for the whole job; each worker takes `budget / concurrency`. */
  readonly maxRps?: number;
  readonly maxWps?: number;
  readonly concurrency: number;
  /** Command options the workers need (verify: settle seconds and rounds, repair, dry run…). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
}

/**
 * Object storage for one or more jobs, keyed by relative paths like `jobs/<jobId>/segments/3/part-0`.
 * Implemented on the local file system (files 0600) and on S3 (SSE-KMS, under the construct's prefix).
 */
export interface JobStore {
  /** Writes the whole object, replacing any earlier one. */
  put(key: string, body: string | Uint8Array): Promise<void>;
  /** The object, or `undefined` when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Keys that start with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
}

/** Runs one task; the same function runs in-process, under `dynasync worker` and in the worker Lambda. */
export type TaskRunner = (
  task: ScaleoutTask,
  context: { readonly deadlineAt: number; readonly signal?: AbortSignal },
) => Promise<ScaleoutTaskResult>;
