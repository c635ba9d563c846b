import { setTimeout as delay } from 'node:timers/promises';
import { DynasyncError } from '../../core/errors.js';
import { backoffDelay, classifyError, ErrorClasses } from '../../replicator/classifyError.js';

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
 * Runs `call`, retrying errors the replicator's classification calls transient, with the same
 * full-jitter backoff. A permanent error, a transient one after the last attempt, or a
 * {@link DynasyncError} (verify's own, e.g. from a page handler) is thrown.
 */
export const withRetries = async <T>(
  call: () => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<T> => {
  const sleep =
    policy.sleep ??
    ((ms: number, s?: AbortSignal) => delay(ms, undefined, s === undefined ? undefined : { signal: s }));
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (signal?.aborted === true || error instanceof DynasyncError) throw error;
      if (classifyError(error) !== ErrorClasses.transient || attempt + 1 >= policy.attempts) throw error;
      await sleep(backoffDelay(attempt, policy.baseDelayMs, policy.maxDelayMs, policy.random), signal);
    }
  }
};
