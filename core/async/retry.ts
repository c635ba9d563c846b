import { backoffDelay } from './backoffDelay.js';
import { sleep } from './sleep.js';

/**
 * Options of {@link retry}. Its callers differ in what they bound (start-up calls: a time budget;
 * verify's and backfill's reads: a number of attempts) and in which errors they retry; both are
 * options here, so each keeps its behaviour.
 */
export interface RetryOptions {
  /** True for an error worth another attempt; any other is thrown at once. */
  readonly retryable: (error: unknown) => boolean;
  /** First retry's backoff ceiling, ms (full jitter). */
  readonly baseDelayMs: number;
  /** Longest backoff, ms. */
  readonly maxDelayMs: number;
  /** Shortest wait between attempts, ms (full jitter may pick 0). @default 0 */
  readonly minDelayMs?: number;
  /** Attempts in all, the first included. @default no limit */
  readonly attempts?: number;
  /** Total time the call may keep failing before its last error is thrown, ms (a wait that would end past it is not started). @default no limit */
  readonly budgetMs?: number;
  /** Once aborted, the next failure is thrown as it is. */
  readonly signal?: AbortSignal;
  /** Called before each retry, with the error, the retry's number (1 for the first) and the wait (logs, metrics). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** The clock the budget is measured with (tests inject one). @default Date.now */
  readonly now?: () => number;
  /** Waits between attempts. @default {@link sleep} (resolves early when `signal` aborts) */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source of the backoff. @default Math.random */
  readonly random?: () => number;
}

/**
 * Runs `call`, retrying it with full-jitter exponential backoff while it fails with an error
 * `retryable` accepts, attempts are left and the budget lasts. Any other error, and the last
 * retryable one, is thrown as it is.
 *
 * ```
 * call ✗ retryable ─ wait max(min, jitter(base·2^n)) ─► call ✗ … ─► call ✓ → value
 *      ✗ not retryable / aborted / last attempt / wait past the budget → that error
 * ```
 * @example
 * const table = await retry(() => client.send(new DescribeTableCommand(input)), {
 *   retryable: (error) => classifyError(error) === ErrorClasses.transient,
 *   baseDelayMs: 50,
 *   maxDelayMs: 5_000,
 *   attempts: 10,
 * });
 */
export const retry = async <T>(call: () => Promise<T>, options: RetryOptions): Promise<T> => {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const deadline = options.budgetMs === undefined ? undefined : now() + options.budgetMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (options.signal?.aborted === true || !options.retryable(error)) throw error;
      if (options.attempts !== undefined && attempt + 1 >= options.attempts) throw error;
      const delayMs = Math.max(
        options.minDelayMs ?? 0,
        backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs, options.random),
      );
      if (deadline !== undefined && now() + delayMs > deadline) throw error;
      options.onRetry?.(error, attempt + 1, delayMs);
      await wait(delayMs, options.signal);
    }
  }
};
