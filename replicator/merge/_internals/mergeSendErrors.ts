import { DynasyncError, ErrorCodes } from '../../../core/errors.js';
import type { PlannedWrite } from '../../types.js';

/** `conflict.mergeFailed` as it is: a merge that threw anything else is wrapped in one. */
export const asMergeFailed = (cause: unknown): DynasyncError =>
  cause instanceof DynasyncError && cause.code === ErrorCodes.conflict.mergeFailed
    ? cause
    : new DynasyncError(
        ErrorCodes.conflict.mergeFailed,
        'the merge failed; both versions go to the dead-letter sink',
        {
          cause,
        },
      );

/** The error of a write whose merge failed: the merge error, named by record sequence and peer. */
export const mergeFailedWriteError = (write: PlannedWrite, cause: unknown): DynasyncError => {
  const error = asMergeFailed(cause);
  const { sequenceNumber } = write.change.record;
  return new DynasyncError(
    error.code,
    `record sequence ${sequenceNumber}: ${error.message} (peer ${write.peer})`,
    {
      payload: { sequenceNumber, peer: write.peer },
      cause,
    },
  );
};

/** The error of a write whose peer kept changing for `maxAttempts` read-merge-write rounds. */
export const contendedError = (write: PlannedWrite, maxAttempts: number): DynasyncError => {
  const { sequenceNumber } = write.change.record;
  return new DynasyncError(
    ErrorCodes.conflict.mergeContended,
    `record sequence ${sequenceNumber}: peer ${write.peer} kept changing during ${maxAttempts} read-merge-write attempts; raise conflict.maxAttempts or redrive later`,
    { payload: { sequenceNumber, peer: write.peer, attempts: maxAttempts } },
  );
};

/** The error of a write whose peer was not reached before the deadline (`lastError`: the last transient one). */
export const outOfTimeError = (write: PlannedWrite, lastError: unknown): DynasyncError => {
  const { sequenceNumber } = write.change.record;
  return new DynasyncError(
    ErrorCodes.replicator.writeRejected,
    `record sequence ${sequenceNumber}: peer ${write.peer} not reached before the time budget ran out`,
    { payload: { sequenceNumber, peer: write.peer }, cause: lastError },
  );
};

/** The error of a write the peer rejected with an error that is not a `DynasyncError` (only its name is kept). */
export const rejectedError = (write: PlannedWrite, cause: unknown): DynasyncError => {
  const { sequenceNumber } = write.change.record;
  const name = cause instanceof Error ? cause.name : 'Error';
  return new DynasyncError(
    ErrorCodes.replicator.writeRejected,
    `record sequence ${sequenceNumber}: peer ${write.peer} rejected the write (${name})`,
    { payload: { sequenceNumber, peer: write.peer, awsError: name }, cause },
  );
};
