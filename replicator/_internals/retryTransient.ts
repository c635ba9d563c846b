import { retry } from '../../core/async/retry.js';
import { errorName } from '../../core/errorName.js';
import { classifyError, ErrorClasses } from '../classifyError.js';

/** Options of {@link retryTransient}. */
export interface RetryTransientOptions {
  /** Total time the call may keep failing transiently before its last error is thrown. @default 60000 */
  readonly budgetMs?: number;
  /** @default 200 */
  readonly baseDelayMs?: number;
  /** @default 5000 */
  readonly maxDelayMs?: number;
  readonly signal?: AbortSignal;
  /** Called before each retry, with the error and the delay (logs). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** The clock the budget is measured with (tests inject one). @default Date.now */
  readonly now?: () => number;
  /** Waits between attempts; resolves early when `signal` aborts. @default `sleep` of core/async */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source of the backoff. @default Math.random */
  readonly random?: () => number;
  /** Transient errors that are not worth retrying here (thrown at once). @default none */
  readonly isFinal?: (error: unknown) => boolean;
}

/**
 * The start-up preset of `retry` (core/async): retries a call while it fails with a transient error
 * (throttling, 5xx, timeouts, resets; see `classifyError`) and the time budget lasts, waiting at
 * least `baseDelayMs`. Other errors, outages of configuration, and the last transient one, are
 * thrown as they are. For start-up calls: one throttled DescribeTable must not stop `dynasync run`.
 */
export const retryTransient = <T>(
  call: () => Promise<T>,
  options: RetryTransientOptions = {},
): Promise<T> => {
  const { budgetMs = 60_000, baseDelayMs = 200, maxDelayMs = 5_000, isFinal, ...rest } = options;
  return retry(call, {
    ...rest,
    retryable: (error) =>
      classifyError(error) === ErrorClasses.transient &&
      !isConfigurationOutage(error) &&
      isFinal?.(error) !== true,
    baseDelayMs,
    maxDelayMs,
    minDelayMs: baseDelayMs,
    budgetMs,
  });
};

/** Missing tables and refused credentials are "transient" for replication (hold the stream), but retrying them at start-up only delays the error. */
const isConfigurationOutage = (error: unknown): boolean =>
  [
    'ResourceNotFoundException',
    'AccessDeniedException',
    'UnrecognizedClientException',
    'ExpiredTokenException',
    'CredentialsProviderError',
  ].includes(errorName(error));
