import { DynasyncError, type ErrorCode, type ErrorPayload } from '../../core/errors.js';

/**
 * Builds a {@link DynasyncError} from a code, a message, a value-free payload and a cause, in the
 * argument order the tools use. Each tool exports it typed to its own area's codes (`verifyError`,
 * `backfillError`, `migrateError`).
 */
export const toolError = (
  code: ErrorCode,
  message: string,
  payload: ErrorPayload = {},
  cause?: unknown,
): DynasyncError =>
  new DynasyncError(code, message, {
    payload,
    ...(cause === undefined ? {} : { cause }),
  });
