/**
 * What may be logged about an error: its name, its `code` (`ECONNREFUSED`, an SDK error code) and the
 * HTTP status of an AWS SDK error. Never its message, which may quote the values it failed on.
 */
export interface ErrorFacts {
  readonly errorName: string;
  readonly errorCode?: string;
  readonly httpStatusCode?: number;
  /** The cause's name, code and HTTP status, when the error wraps one (`Error`, a `DynasyncError`). */
  readonly causeName?: string;
  readonly causeCode?: string;
  readonly causeHttpStatusCode?: number;
  /** Per-entry failure codes a service reported (SQS `SendMessageBatch` `Failed[].Code`), from a `DynasyncError`'s payload. */
  readonly failureCodes?: readonly string[];
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
  const own = ownFacts(error);
  if (typeof error !== 'object' || error === null) return own;
  const { cause, payload } = error as { cause?: unknown; payload?: { codes?: unknown } };
  const codes = payload?.codes;
  const wrapper = own.errorName === 'Error' || own.errorName === 'DynasyncError';
  const inner = wrapper && cause !== undefined && cause !== error ? ownFacts(cause) : undefined;
  return {
    ...own,
    ...(inner === undefined
      ? {}
      : {
          causeName: inner.errorName,
          ...(inner.errorCode === undefined ? {} : { causeCode: inner.errorCode }),
          ...(inner.httpStatusCode === undefined ? {} : { causeHttpStatusCode: inner.httpStatusCode }),
        }),
    ...(Array.isArray(codes) && codes.length > 0 && codes.every((code) => typeof code === 'string')
      ? { failureCodes: codes as string[] }
      : {}),
  };
};

const ownFacts = (error: unknown): ErrorFacts => {
  const errorName = nameOf(error);
  if (typeof error !== 'object' || error === null) return { errorName };
  const e = error as { code?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const code = typeof e.code === 'string' ? e.code : typeof e.Code === 'string' ? e.Code : undefined;
  const status = e.$metadata?.httpStatusCode;
  return {
    errorName,
    ...(code === undefined ? {} : { errorCode: code }),
    ...(typeof status === 'number' ? { httpStatusCode: status } : {}),
  };
};
