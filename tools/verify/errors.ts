import { type AreaErrorCode, type DynasyncError, ErrorCodes, type ErrorPayload } from '../../core/errors.js';
import { toolError } from '../_shared/toolError.js';

/**
 * Error codes of `dynasync verify`: the `verify` group of `ErrorCodes` in `core/errors.ts`, named
 * here for the verify code. Tests and callers match on these, never on message text. A scan that
 * keeps failing raises the shared `scan.failed`.
 */
export const VerifyErrorCodes = ErrorCodes.verify;

/** A stable verify error code; see {@link VerifyErrorCodes}. */
export type VerifyErrorCode = AreaErrorCode<'verify'>;

/**
 * A {@link DynasyncError} with a verify code. The message says what, where and how to fix; the
 * payload holds option names, regions, tables and codes, never item values.
 * @example
 * throw verifyError(VerifyErrorCodes.invalidOption, '--segments must be 1-1000000, got 0', { option: 'segments' });
 */
export const verifyError: (
  code: VerifyErrorCode,
  message: string,
  payload?: ErrorPayload,
  cause?: unknown,
) => DynasyncError = toolError;
