import type { OmittedRecord } from '../deadLetter/encodeDeadLetter.js';
import type { DeadLetter } from '../deadLetter/types.js';

/** A dead letter read back for a redrive. */
export type StoredDeadLetter = DeadLetter & { readonly recordOmitted?: OmittedRecord };

/** Where dead letters are read back from for a redrive. */
export interface DeadLetterSource {
  /** Yields the stored letters in batches; each letter once per redrive. */
  receive(): AsyncIterable<readonly StoredDeadLetter[]>;
  /** The letter was replayed (applied or stale): remove it. */
  remove(letter: StoredDeadLetter): Promise<void>;
  /** The letter failed again: keep it, as `updated` where the store can (attempts, times, error). */
  keep(letter: StoredDeadLetter, updated: DeadLetter): Promise<void>;
  /** Makes removals and updates durable (the file source rewrites its file here). */
  close(): Promise<void>;
  /** Copies of letters already received (same id), settled together with them. */
  readonly duplicates: number;
}

/** What a redrive did, or would do (`--dry-run`), with one letter. */
export const RedriveOutcomes = {
  replayed: 'replayed',
  stale: 'stale',
  failedAgain: 'failedAgain',
  wouldApply: 'wouldApply',
  wouldSkip: 'wouldSkip',
  wouldFail: 'wouldFail',
} as const;
export type RedriveOutcome = (typeof RedriveOutcomes)[keyof typeof RedriveOutcomes];

/** The summary of a redrive. */
export interface RedriveReport {
  /** Letters written to at least one target. */
  replayed: number;
  /** Letters every target already held in this version or a newer one: nothing written over newer data. */
  stale: number;
  /** Letters that failed again and stay in the dead-letter store. */
  failedAgain: number;
  /** Dry run: letters that would be written, skipped as stale, or fail. */
  skipped: number;
  /** Copies of the same letter (a batch dead-lettered again after a crash), settled with the first. */
  duplicates: number;
  readonly entries: Array<{
    readonly id: string;
    readonly sequenceNumber: string | undefined;
    readonly outcome: RedriveOutcome;
    readonly targetRegions: string[];
    readonly code?: string;
  }>;
}
