import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { DeadLetter, DeadLetterSink } from '../deadLetter/types.js';
import { sequenceNumberOf } from '../decodeRecord.js';
import type { ReplicatorLogger } from '../processBatch.js';
import type { BatchCounts } from '../types.js';
import { errorFacts } from './errorFacts.js';
import type { LetterCandidate } from './letterCandidate.js';

/** What {@link storeLetters} takes from the batch's dependencies. */
export interface StoreLettersDeps {
  readonly deadLetters: DeadLetterSink;
  readonly logger: ReplicatorLogger;
  readonly protectLetter?: (letter: DeadLetter) => DeadLetter;
}

/**
 * Protects and stores a batch's letters (none: nothing happens). Stored: counted as dead-lettered and
 * logged by code and position. The sink failed: logged, and every record the letters complete is
 * added to `unfinished`, so the records stay on the stream.
 */
export const storeLetters = async (
  letters: LetterCandidate[],
  deps: StoreLettersDeps,
  unfinished: Set<number>,
  counts: BatchCounts,
): Promise<void> => {
  if (letters.length === 0) return;
  if (deps.protectLetter !== undefined) {
    const protect = deps.protectLetter;
    for (const entry of letters) entry.letter = protect(entry.letter);
  }
  try {
    await deps.deadLetters.send(letters.map(({ letter }) => letter));
  } catch (cause) {
    const error = new DynasyncError(
      ErrorCodes.replicator.deadLetterFailed,
      'dead-letter sink failed; the records stay on the stream',
      { cause },
    );
    // The cause's name, code and HTTP status only: a foreign error's text may quote the data it failed to store.
    const facts = errorFacts(cause);
    deps.logger.error(error.message, {
      code: error.code,
      records: letters.length,
      cause: facts.errorName,
      ...facts,
    });
    for (const { indexes } of letters) for (const index of indexes) unfinished.add(index);
    return;
  }
  counts.deadLettered = letters.length;
  for (const { letter } of letters) {
    // Codes and positions only; the message (which may quote the peer's error) stays in the dead letter.
    deps.logger.warn('record dead-lettered', {
      code: letter.error.code,
      sequenceNumber: sequenceNumberOf(letter.record),
      targetRegions: letter.targetRegions,
    });
  }
};
