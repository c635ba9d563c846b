import { encodeItem } from '../../core/codec.js';
import { deadLetterId } from '../deadLetter/deadLetterId.js';
import type { DeadLetter } from '../deadLetter/types.js';
import type { PeerWriteResult } from '../PeerWrites.js';
import type { Rejection, StreamRecord } from '../types.js';

/** A letter the batch could store, with the batch position of its record. */
export interface LetterCandidate {
  /** Position of the letter's record in the batch. */
  readonly index: number;
  /** Every record the letter completes (a coalesced write completes older changes of its key). */
  readonly indexes: readonly number[];
  letter: DeadLetter;
}

/** What every letter of one batch shares. */
export interface LetterContext {
  readonly records: readonly StreamRecord[];
  readonly sourceRegion: string;
  readonly configVersion: string;
  readonly now: () => number;
}

/** The letter of a write that ended `permanent` (with its error): to its peer, with the stored item of a failed merge. */
export const permanentCandidate = (result: PeerWriteResult, context: LetterContext): LetterCandidate => {
  const error = result.error!;
  const index = result.write.change.record.index;
  const at = result.lastFailureAt ?? new Date(context.now()).toISOString();
  return {
    index,
    indexes: result.write.recordIndexes,
    letter: {
      id: deadLetterId(context.sourceRegion, context.records[index]!, index, [result.write.peer], error.code),
      kind: 'streamRecord',
      record: context.records[index]!,
      sourceRegion: context.sourceRegion,
      targetRegions: [result.write.peer],
      error: { code: error.code, message: error.message },
      attempts: result.attempts,
      firstFailureAt: result.firstFailureAt ?? at,
      lastFailureAt: at,
      configVersion: context.configVersion,
      // A failed merge keeps both versions: the record, and what the peer held.
      ...(result.merge?.storedItem === undefined ? {} : { storedItem: encodeItem(result.merge.storedItem) }),
    },
  };
};

/** The letter of a record the plan rejected (never sent: attempts 0), to the peers it could not be shipped to. */
export const rejectedCandidate = (
  { index, error }: Rejection,
  peers: readonly string[],
  at: string,
  context: LetterContext,
): LetterCandidate => ({
  index,
  indexes: [index],
  letter: {
    id: deadLetterId(context.sourceRegion, context.records[index]!, index, peers, error.code),
    kind: 'streamRecord',
    record: context.records[index]!,
    sourceRegion: context.sourceRegion,
    targetRegions: [...peers],
    error: { code: error.code, message: error.message },
    attempts: 0,
    firstFailureAt: at,
    lastFailureAt: at,
    configVersion: context.configVersion,
  },
});
