import { type RetryOptions, retry } from '../../core/async/retry.js';
import { errorName } from '../../core/errorName.js';
import { classifyError, ErrorClasses } from '../classifyError.js';

/** Options of {@link retryTransient}: those of `retry`, with the start-up defaults. */
export interface RetryTransientOptions
  extends Partial<Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'budgetMs'>>,
    Pick<RetryOptions, 'signal' | 'onRetry' | 'now' | 'sleep' | 'random'> {
  /** Transient errors that are not worth retrying here (thrown at once). @default none */
  readonly isFinal?: (error: unknown) => boolean;
}

/**
 * The start-up preset of `retry` (core/async): retries a call while it fails with a transient error
 * (throttling, 5xx, timeouts, resets; see `classifyError`) and the time budget lasts, waiting at
 * least `baseDelayMs`. Other errors, outages of configuration, and the last transient one, are
 * thrown as they are. Defaults: budget 60 s, delays 200 ms to 5 s. For start-up calls: one throttled DescribeTable must not stop `dynasync run`.
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
