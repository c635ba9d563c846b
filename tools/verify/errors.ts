import type { DynasyncError, ErrorPayload } from '../../core/errors.js';
import { toolError } from '../_shared/toolError.js';

/**
 * Error codes of `dynasync verify`. Tests and callers match on these, never on message text.
 *
 * They are carried by the one {@link DynasyncError} type. Until they join `ErrorCodes` in
 * `core/errors.ts`, {@link verifyError} is the one place that widens them to `ErrorCode`.
 */
export const VerifyErrorCodes = {
  /** An option is out of range or contradicts another (`--dry-run` without `--repair`, `--from` = `--to`, …). */
  invalidOption: 'verify.invalidOption',
  /** An item (after the source transform) lacks one of the target table's key attributes. */
  keySchemaMismatch: 'verify.keySchemaMismatch',
  /** A scan page kept failing after its retries. */
  scanFailed: 'verify.scanFailed',
  /** A consistent re-read kept failing after its retries. */
  readFailed: 'verify.readFailed',
  /** The run was interrupted (SIGINT, SIGTERM or an aborted signal). */
  aborted: 'verify.aborted',
  /** A scale-out task names a job the store does not hold, or one planned with another config version. */
  jobMismatch: 'verify.jobMismatch',
} as const;

/** A stable verify error code; see {@link VerifyErrorCodes}. */
export type VerifyErrorCode = (typeof VerifyErrorCodes)[keyof typeof VerifyErrorCodes];

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
