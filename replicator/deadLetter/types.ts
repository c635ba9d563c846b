import type { ErrorCode } from '../../core/errors.js';
import type { WireItem } from '../../core/types.js';
import type { StreamRecord } from '../types.js';

/**
 * One record that could not be replicated, kept whole so it can be inspected and redriven.
 * It holds item values: dead-letter storage must be protected like the table itself.
 */
export interface DeadLetter {
  /** Id of this dead letter: the same for the same record, target and error (see `deadLetterId`). */
  readonly id: string;
  readonly kind: 'streamRecord';
  /**
   * The stream record exactly as it was received (Lambda wire form). A batch entry that was not an
   * object at all (a string, a number) is kept as that value.
   */
  readonly record: StreamRecord;
  readonly sourceRegion: string;
  /** The peer regions it did not reach. */
  readonly targetRegions: readonly string[];
  readonly error: { readonly code: ErrorCode; readonly message: string };
  readonly attempts: number;
  readonly firstFailureAt: string;
  readonly lastFailureAt: string;
  /** Digest of the config that failed it. */
  readonly configVersion: string;
  /** True when `record` keeps positions and times only, because a target's pipeline masks (no clear values). */
  readonly recordRedacted?: true;
  /** The whole record, encrypted under the masking key (`deadLetterRecord: "encrypted"`); redrive opens it. */
  readonly sealedRecord?: string;
  /**
   * Merge strategy: the item stored at the target when the merge of concurrent writes failed or kept
   * losing races (the other version is `record`'s new image). @default absent
   */
  readonly storedItem?: WireItem;
}

/** Where dead letters go. `send` resolves only once every entry is stored durably, or rejects. */
export interface DeadLetterSink {
  send(entries: readonly DeadLetter[]): Promise<void>;
}
