import { type AreaErrorCode, type DynasyncError, ErrorCodes, type ErrorPayload } from '../../core/errors.js';
import { toolError } from '../_shared/toolError.js';

/**
 * Error codes of `dynasync backfill`: the `backfill` group of `ErrorCodes` in `core/errors.ts`.
 * Tests and callers match on these, never on message text. A scan that keeps failing raises the
 * shared `scan.failed`.
 */
export const BackfillErrorCodes = ErrorCodes.backfill;

/** A stable backfill error code; see {@link BackfillErrorCodes}. */
export type BackfillErrorCode = AreaErrorCode<'backfill'>;

/**
 * A {@link DynasyncError} with a backfill code; the payload never holds item values.
 * @example
 * throw backfillError(BackfillErrorCodes.invalidOption, 'backfill: --max-wps must be > 0, got 0', { option: 'max-wps' });
 */
export const backfillError: (
  code: BackfillErrorCode,
  message: string,
  payload?: ErrorPayload,
  cause?: unknown,
) => DynasyncError = toolError;
