import type { Version } from '../conflict/version.js';
import type { DynasyncError } from '../core/errors.js';
import type { Item, WireItem } from '../core/types.js';

/** Stream event names. */
export const EventNames = { insert: 'INSERT', modify: 'MODIFY', remove: 'REMOVE' } as const;
export type EventName = (typeof EventNames)[keyof typeof EventNames];

/**
 * A DynamoDB stream record in the shape Lambda delivers it (JSON, binary as base64).
 * `dynamodb.ApproximateCreationDateTime` is epoch seconds; `dynasync run` passes milliseconds
 * as a fraction so that lag is exact.
 */
export interface StreamRecord {
  readonly eventID?: string | undefined;
  readonly eventName?: string | undefined;
  readonly eventSource?: string | undefined;
  readonly eventSourceARN?: string | undefined;
  readonly awsRegion?: string | undefined;
  readonly userIdentity?: { readonly type?: string; readonly principalId?: string } | undefined;
  readonly dynamodb?:
    | {
        readonly ApproximateCreationDateTime?: number | undefined;
        readonly Keys?: WireItem | undefined;
        readonly NewImage?: WireItem | undefined;
        readonly OldImage?: WireItem | undefined;
        readonly SequenceNumber?: string | undefined;
        readonly SizeBytes?: number | undefined;
        readonly StreamViewType?: string | undefined;
      }
    | undefined;
}

/** A batch of stream records, as the Lambda event delivers it. */
export interface StreamEvent {
  readonly Records: readonly StreamRecord[];
}

/** Lambda's partial batch response for stream sources (`ReportBatchItemFailures`). */
export interface BatchResponse {
  readonly batchItemFailures: ReadonlyArray<{ readonly itemIdentifier: string }>;
}

/** A stream record after validation: exact values, decoded images. */
export interface DecodedRecord {
  /** Position of the record in its batch. */
  readonly index: number;
  readonly sequenceNumber: string;
  readonly eventName: EventName;
  readonly keys: Item;
  /** Canonical text of the key, equal for equal keys (numbers compared by value). */
  readonly keyId: string;
  readonly newImage: Item | undefined;
  readonly oldImage: Item | undefined;
  /** Stream time of the change, epoch milliseconds. */
  readonly createdAtMs: number;
  /** True when DynamoDB's TTL process removed the item. */
  readonly byTtl: boolean;
  /** The stream record's `SizeBytes` (keys and both images), when the record has it. */
  readonly sizeBytes?: number;
}

/** Why a record ships nothing. */
export const SkipReasons = {
  /** The write was made by a replicator: shipping it again would ping-pong. */
  echo: 'echo',
  /** DynamoDB's TTL removed the item (tombstone expiry); each region expires its own copy. */
  ttl: 'ttl',
  /** An application removed a delete marker: nothing visible changed. */
  tombstonePurge: 'tombstonePurge',
  /** A newer change to the same key in the same batch supersedes it. */
  coalesced: 'coalesced',
  /** This region has no peers to ship to (one-way replica). */
  noPeers: 'noPeers',
} as const;
export type SkipReason = (typeof SkipReasons)[keyof typeof SkipReasons];

/** A change to ship: the newest state of one key, with its version. */
export interface Change {
  readonly record: DecodedRecord;
  readonly keyId: string;
  readonly keys: Item;
  readonly version: Version;
  readonly versionText: string;
  /** The item to write at a peer, metadata included (a tombstone for deletes). */
  readonly item: Item;
  readonly tombstone: boolean;
  /** True when the version was derived by the replicator (the write carried no new stamp). */
  readonly derived: boolean;
}

/** One conditional write of a change to one peer. */
export interface PlannedWrite {
  readonly peer: string;
  readonly change: Change;
  /** Indexes of every record this write completes (the change's and the ones it superseded). */
  readonly recordIndexes: readonly number[];
}

/** A record that cannot be replicated and goes to the dead-letter sink as it is. */
export interface Rejection {
  readonly index: number;
  readonly error: DynasyncError;
  /** The peers it could not be shipped to. @default every peer */
  readonly peers?: readonly string[];
}

/** The pure result of planning a batch: what to write, what to skip, what to dead-letter. */
export interface WritePlan {
  readonly writes: readonly PlannedWrite[];
  readonly skipped: ReadonlyArray<{ readonly index: number; readonly reason: SkipReason }>;
  readonly rejected: readonly Rejection[];
}

/** Outcome of one conditional write. */
export const WriteOutcomes = {
  /** Written: the peer held an older version (or none). */
  applied: 'applied',
  /** Not written: the peer already held this version or a newer one. */
  stale: 'stale',
  /** Not written and never will be as it is: goes to the dead-letter sink. */
  permanent: 'permanent',
  /** Not written yet: transient failures outlasted the time budget; the stream redelivers it. */
  unfinished: 'unfinished',
} as const;
export type WriteOutcome = (typeof WriteOutcomes)[keyof typeof WriteOutcomes];

/** Result of sending one planned write. */
export interface WriteResult {
  readonly write: PlannedWrite;
  readonly outcome: WriteOutcome;
  readonly attempts: number;
  readonly error?: DynasyncError;
  readonly firstFailureAt?: string | undefined;
  readonly lastFailureAt?: string | undefined;
}

/** Counts of one batch, for logs and metrics. */
export interface BatchCounts {
  records: number;
  changes: number;
  applied: number;
  stale: number;
  deadLettered: number;
  /** Records rejected as malformed (`replicator.malformedRecord`), empty (`null`) entries of the batch included. @default 0 */
  malformed?: number;
  unfinished: number;
  retried: number;
  skipped: Record<SkipReason, number>;
  /** Merge strategy: concurrent writes detected (each is logged and audited). @default absent (LWW) */
  conflicts?: number;
}

/** What processing a batch produced. */
export interface BatchResult extends BatchResponse {
  readonly counts: BatchCounts;
  /** Replication lag of the newest applied change: now minus its stream time, ms. */
  readonly lagMs: number | undefined;
  /**
   * Per peer: writes applied and stale, and the physical time (`_ds_v`, epoch ms) of the newest
   * version applied there. Version times are the writers' clocks, exact to the millisecond, where
   * stream times can be coarse (DynamoDB Local rounds them to whole minutes).
   * @default absent (results built before peers were counted)
   */
  readonly peers?: Readonly<Record<string, PeerCounts>>;
}

/** What one batch did at one peer. */
export interface PeerCounts {
  readonly applied: number;
  readonly stale: number;
  /**
   * Physical time of the newest writer-stamped version applied at the peer, epoch ms; absent when
   * nothing stamped was applied (versions the replicator derives carry the stream time).
   */
  readonly newestAppliedVersionMs?: number;
}
