/**
 * What may be logged about an error: its name, its `code` (`ECONNREFUSED`, an SDK error code) and the
 * HTTP status of an AWS SDK error. Never its message, which may quote the values it failed on.
 */
export interface ErrorFacts {
  readonly errorName: string;
  readonly errorCode?: string;
  readonly httpStatusCode?: number;
  /** The name of the error's cause, when the error itself is a generic wrapper (`Error`). */
  readonly causeName?: string;
}

const nameOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
    ? error.name
    : error === undefined
      ? 'none'
      : typeof error;

/**
 * The loggable facts of an error ({@link ErrorFacts}).
 * @example
 * errorFacts(accessDenied) // { errorName: 'AccessDeniedException', httpStatusCode: 400 }
 */
export const errorFacts = (error: unknown): ErrorFacts => {
  const errorName = nameOf(error);
  if (typeof error !== 'object' || error === null) return { errorName };
  const e = error as {
    code?: unknown;
    Code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    cause?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : typeof e.Code === 'string' ? e.Code : undefined;
  const status = e.$metadata?.httpStatusCode;
  const cause = e.cause;
  return {
    errorName,
    ...(code === undefined ? {} : { errorCode: code }),
    ...(typeof status === 'number' ? { httpStatusCode: status } : {}),
    ...(cause !== undefined && cause !== error && (errorName === 'Error' || errorName === 'DynasyncError')
      ? { causeName: nameOf(cause) }
      : {}),
  };
};
