import type { DynasyncError, ErrorPayload } from '../../core/errors.js';
import { toolError } from '../_shared/toolError.js';

/**
 * Error codes of `dynasync backfill`. Tests and callers match on these, never on message text.
 * Carried by the one {@link DynasyncError} type; {@link backfillError} widens them to `ErrorCode`
 * until they join `ErrorCodes` in `core/errors.ts`.
 */
export const BackfillErrorCodes = {
  /** An option is out of range or contradicts another. */
  invalidOption: 'backfill.invalidOption',
  /** A checkpoint of an unfinished run exists and `--resume` was not given. */
  checkpointExists: 'backfill.checkpointExists',
  /** The checkpoint belongs to another run (other tables, regions or segments), or cannot be read (permissions). */
  checkpointMismatch: 'backfill.checkpointMismatch',
  /** The checkpoint file is not JSON or breaks its schema (the message names the file and the field). */
  checkpointCorrupt: 'backfill.checkpointCorrupt',
  /** Writes kept failing after their retries (the page is not checkpointed: `--resume` retries it). */
  writeFailed: 'backfill.writeFailed',
  /** The run was interrupted (SIGINT, SIGTERM or an aborted signal); progress is in the checkpoint. */
  aborted: 'backfill.aborted',
  /** A segment task's job is not a backfill job of this config (missing `job.json`, another command or config version). */
  jobMismatch: 'backfill.jobMismatch',
  /** The settle task found a segment without a result: its scan task has not finished. */
  segmentMissing: 'backfill.segmentMissing',
} as const;

/** A stable backfill error code; see {@link BackfillErrorCodes}. */
export type BackfillErrorCode = (typeof BackfillErrorCodes)[keyof typeof BackfillErrorCodes];

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
