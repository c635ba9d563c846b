/** How the writer treats a failed DynamoDB call. */
export const ErrorClasses = {
  /** The condition failed: the target holds this version or a newer one. Not an error. */
  stale: 'stale',
  /** Worth retrying: throttling, 5xx, timeouts, dropped connections, and outages such as a missing table. */
  transient: 'transient',
  /** Retrying cannot help (validation, item too large, key schema mismatch): dead-letter the record. */
  permanent: 'permanent',
} as const;
export type ErrorClass = (typeof ErrorClasses)[keyof typeof ErrorClasses];

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'LimitExceededException',
  'TransactionConflictException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
  // Outages of configuration: holding the stream is safer than dead-lettering every record.
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);

const PERMANENT_NAMES = new Set([
  'ValidationException',
  'SerializationException',
  'ItemCollectionSizeLimitExceededException',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
  cause?: unknown;
}

/**
 * Classifies an error thrown by a DynamoDB call. Unknown errors without an HTTP status (a bug in a
 * proxy, a broken socket) count as transient: the stream redelivers the record, nothing is lost.
 */
export const classifyError = (error: unknown): ErrorClass => {
  if (typeof error !== 'object' || error === null) return ErrorClasses.transient;
  const e = error as ErrorLike;
  const name = typeof e.name === 'string' ? e.name : '';
  if (name === 'ConditionalCheckFailedException') return ErrorClasses.stale;
  if (PERMANENT_NAMES.has(name)) return ErrorClasses.permanent;
  if (TRANSIENT_NAMES.has(name)) return ErrorClasses.transient;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return ErrorClasses.transient;
  if (e.$retryable !== undefined && e.$retryable !== null) return ErrorClasses.transient;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') {
    if (status >= 500 || status === 429) return ErrorClasses.transient;
    if (status >= 400) return ErrorClasses.permanent;
  }
  if (e.cause !== undefined && e.cause !== error) return classifyError(e.cause);
  return ErrorClasses.transient;
};

// The backoff moved to core/async with the one retry loop; re-exported for the writers that import it from here.
export { backoffDelay } from '../core/async/backoffDelay.js';
