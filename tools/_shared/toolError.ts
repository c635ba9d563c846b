import { DynasyncError, type ErrorCode, type ErrorPayload } from '../../core/errors.js';

/**
 * Builds a {@link DynasyncError} with a tool's own dotted code (`verify.*`, `backfill.*`,
 * `migrate.*`). The one place such codes are widened to `ErrorCode`, until they join `ErrorCodes`
 * in `core/errors.ts`. Each tool exports it typed to its codes (`verifyError`, `backfillError`, …).
 */
export const toolError = <Code extends string>(
  code: Code,
  message: string,
  payload: ErrorPayload = {},
  cause?: unknown,
): DynasyncError =>
  new DynasyncError(code as unknown as ErrorCode, message, {
    payload,
    ...(cause === undefined ? {} : { cause }),
  });
