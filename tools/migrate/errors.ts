import { type AreaErrorCode, type DynasyncError, ErrorCodes, type ErrorPayload } from '../../core/errors.js';
import { toolError } from '../_shared/toolError.js';

/** Error codes of `dynasync migrate`: the `migrate` group of `ErrorCodes` in `core/errors.ts`. */
export const MigrateErrorCodes = ErrorCodes.migrate;

/** A stable migrate error code; see {@link MigrateErrorCodes}. */
export type MigrateErrorCode = AreaErrorCode<'migrate'>;

/** A {@link DynasyncError} with a migrate code; the payload never holds item values. */
export const migrateError: (
  code: MigrateErrorCode,
  message: string,
  payload?: ErrorPayload,
  cause?: unknown,
) => DynasyncError = toolError;
