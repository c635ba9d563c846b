import { backoffDelay, classifyError, ErrorClasses } from '../classifyError.js';

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
  /** Waits between attempts; resolves early when `signal` aborts. @default a timer */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source of the backoff. @default Math.random */
  readonly random?: () => number;
  /** Transient errors that are not worth retrying here (thrown at once). @default none */
  readonly isFinal?: (error: unknown) => boolean;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Runs a call, retrying it while it fails with a transient error (throttling, 5xx, timeouts,
 * resets; see `classifyError`) and the budget lasts. Other errors, and the last transient one, are
 * thrown as they are. For start-up calls: one throttled DescribeTable must not stop `dynasync run`.
 */
export const retryTransient = async <T>(
  call: () => Promise<T>,
  options: RetryTransientOptions = {},
): Promise<T> => {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const deadline = now() + (options.budgetMs ?? 60_000);
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (classifyError(error) !== ErrorClasses.transient || options.signal?.aborted === true) throw error;
      if (isConfigurationOutage(error) || options.isFinal?.(error) === true) throw error;
      const delayMs = Math.max(
        options.baseDelayMs ?? 200,
        backoffDelay(attempt, options.baseDelayMs ?? 200, options.maxDelayMs ?? 5_000, options.random),
      );
      if (now() + delayMs > deadline) throw error;
      options.onRetry?.(error, attempt + 1, delayMs);
      await wait(delayMs, options.signal);
    }
  }
};

/** Missing tables and refused credentials are "transient" for replication (hold the stream), but retrying them at start-up only delays the error. */
const isConfigurationOutage = (error: unknown): boolean => {
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  return [
    'ResourceNotFoundException',
    'AccessDeniedException',
    'UnrecognizedClientException',
    'ExpiredTokenException',
    'CredentialsProviderError',
  ].includes(name);
};
