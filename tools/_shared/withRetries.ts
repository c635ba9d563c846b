import { abortableDelay } from '../../core/async/abortableDelay.js';
import { retry } from '../../core/async/retry.js';
import { DynasyncError } from '../../core/errors.js';
import { classifyError, ErrorClasses } from '../../replicator/classifyError.js';

/** How reads retry transient failures (throttling, 5xx, dropped connections). */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 10 */
  readonly attempts: number;
  /** @default 50 */
  readonly baseDelayMs: number;
  /** @default 5000 */
  readonly maxDelayMs: number;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The retry policy of verify's reads. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, baseDelayMs: 50, maxDelayMs: 5_000 };

/**
 * The tools' preset of `retry` (core/async): runs `call`, retrying errors the replicator's
 * classification calls transient, with the same full-jitter backoff, for `policy.attempts` attempts.
 * A permanent error, a transient one after the last attempt, or a {@link DynasyncError} (verify's
 * own, e.g. from a page handler) is thrown.
 */
export const withRetries = <T>(
  call: () => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<T> =>
  retry(call, {
    retryable: (error) =>
      !(error instanceof DynasyncError) && classifyError(error) === ErrorClasses.transient,
    attempts: policy.attempts,
    baseDelayMs: policy.baseDelayMs,
    maxDelayMs: policy.maxDelayMs,
    sleep: policy.sleep ?? abortableDelay,
    ...(policy.random === undefined ? {} : { random: policy.random }),
    ...(signal === undefined ? {} : { signal }),
  });
