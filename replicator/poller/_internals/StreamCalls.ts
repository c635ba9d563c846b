import { linkedAbort } from '../../../core/async/linkedAbort.js';
import { errorName } from '../../../core/errorName.js';
import { retryTransient } from '../../_internals/retryTransient.js';
import { backoffDelay } from '../../classifyError.js';
import type { ReplicatorLogger } from '../../processBatch.js';

/** Options of {@link StreamCalls}. */
export interface StreamCallsOptions {
  /** Aborts every call in flight when the poller stops. */
  readonly signal: AbortSignal;
  readonly region: string;
  readonly logger: ReplicatorLogger;
  /** Longest single call. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Shortest delay between reads of a shard (`replicator.pollIntervalMs`). */
  readonly pollIntervalMs: number;
  /** @default 1000 */
  readonly retryBaseDelayMs?: number;
  /** @default 30000 */
  readonly retryMaxDelayMs?: number;
}

/** How the poller calls DynamoDB and Streams: aborted on stop, timed out, retried, and how long it waits before trying again. */
export class StreamCalls {
  public constructor(private readonly options: StreamCallsOptions) {}

  /** Runs one API call, aborted on stop or when it takes longer than `requestTimeoutMs`. */
  public async call<T>(send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const link = linkedAbort(this.options.signal, this.options.requestTimeoutMs ?? 30_000);
    try {
      return await send(link.signal);
    } finally {
      link.dispose();
    }
  }

  /** {@link call}, retried while it fails transiently (a throttled DescribeTable must not stop start-up). */
  public callRetrying<T>(send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return retryTransient(() => this.call(send), {
      signal: this.options.signal,
      onRetry: (error, attempt, delayMs) =>
        this.options.logger.warn('stream call failed; retrying', {
          region: this.options.region,
          awsError: errorName(error),
          attempt,
          delayMs,
        }),
    });
  }

  /** The pause after `failures` failures in a row: exponential with jitter, never below the poll interval. */
  public retryDelay(failures: number): number {
    return Math.max(
      this.options.pollIntervalMs,
      backoffDelay(failures, this.options.retryBaseDelayMs ?? 1_000, this.options.retryMaxDelayMs ?? 30_000),
    );
  }
}
