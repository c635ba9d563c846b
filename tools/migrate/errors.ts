import type { DynasyncError, ErrorPayload } from '../../core/errors.js';
import { toolError } from '../_shared/toolError.js';

/** Error codes of `dynasync migrate`; tests and callers match on these, never on message text. */
export const MigrateErrorCodes = {
  /** The config has no `migrate` section, or it names an unknown region. */
  invalidConfig: 'migrate.invalidConfig',
  /** The transform module cannot be loaded or does not export `transform`. */
  transformLoadFailed: 'migrate.transformLoadFailed',
  /** The transform threw, or returned something other than a list of items with the target's keys. */
  transformFailed: 'migrate.transformFailed',
} as const;

/** A stable migrate error code; see {@link MigrateErrorCodes}. */
export type MigrateErrorCode = (typeof MigrateErrorCodes)[keyof typeof MigrateErrorCodes];

/** A {@link DynasyncError} with a migrate code; the payload never holds item values. */
export const migrateError: (
  code: MigrateErrorCode,
  message: string,
  payload?: ErrorPayload,
  cause?: unknown,
) => DynasyncError = toolError;
