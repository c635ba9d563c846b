import type { OmittedRecord } from '../deadLetter/encodeDeadLetter.js';
import type { DeadLetter } from '../deadLetter/types.js';

/** A dead letter read back for a redrive. */
export type StoredDeadLetter = DeadLetter & { readonly recordOmitted?: OmittedRecord };

/**
 * A batch the Lambda event-source mapping gave up on, from its on-failure record (positions only):
 * its changes may be missing from the peers, and the record cannot be replayed.
 */
export interface OnFailureBatch {
  readonly kind: 'onFailureBatch';
  /** Where it is in the store (`line 3`, `message <id>`). */
  readonly where: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly streamArn: string;
  readonly batchSize: number;
  /** Why Lambda gave up (`RetryAttemptsExhausted`, `RecordAgeExceeded`, …). */
  readonly condition?: string;
  readonly approximateArrivalOfFirstRecord?: string;
  readonly approximateArrivalOfLastRecord?: string;
}

/** A line or message of the store that holds nothing a redrive can read (left where it is). */
export interface UnreadableMessage {
  readonly kind: 'unreadable';
  readonly where: string;
  readonly reason: string;
}

/** What one line or message of a dead-letter store holds. */
export type StoredMessage =
  | { readonly kind: 'letter'; readonly letter: StoredDeadLetter }
  | OnFailureBatch
  | UnreadableMessage;

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
  /** What `receive` met that is not a dead letter, in order; each stays in the store. */
  readonly notReplayable: ReadonlyArray<OnFailureBatch | UnreadableMessage>;
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
  /** Lines or messages that are neither a dead letter nor an on-failure record (corrupt, another shape); left in the store. */
  unreadable: number;
  /**
   * On-failure records of the Lambda mapping: batches Lambda gave up on, which hold positions only.
   * Their changes may be lost: recover them with `verify --repair` (or `backfill`) for each peer.
   */
  onFailureBatches: number;
  /** Each unreadable line or message and each on-failure batch, with where it is. */
  readonly notReplayed: Array<OnFailureBatch | UnreadableMessage>;
  readonly entries: Array<{
    readonly id: string;
    readonly sequenceNumber: string | undefined;
    readonly outcome: RedriveOutcome;
    readonly targetRegions: string[];
    readonly code?: string;
  }>;
}
