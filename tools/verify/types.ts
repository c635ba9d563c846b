import type { Item, WireItem } from '../../core/types.js';

/**
 * What the source's items become before they are compared with the target: the peer's pipeline
 * (filter → mask → map). An item may become none (filtered out), one, or several (a remapped
 * model). The output is keyed by the *target* table's key attributes.
 *
 * Identity until the pipeline lands; the pipeline issue plugs its transform in here, so a masked
 * or remapped replica is compared with the source as the replicator would have written it.
 */
export type SourceTransform = (item: Item) => readonly Item[];

/** The transform of a peer without a pipeline: every source item as it is. */
export const identityTransform: SourceTransform = (item) => [item];

/** How a key of the target compares with the source. */
export const DifferenceKinds = {
  /** The source holds a live item, the target none (or a tombstone). */
  missing: 'missing',
  /** The target holds a live item, the source none (or a tombstone). */
  extra: 'extra',
  /** Both hold a live item, and some attributes (or the version) differ. */
  different: 'different',
  /** A difference seen by the scan that the consistent re-read showed was a change in flight. */
  settled: 'settled',
} as const;
export type DifferenceKind = (typeof DifferenceKinds)[keyof typeof DifferenceKinds];

/** The kinds that are drift. */
export type DriftKind = Exclude<DifferenceKind, 'settled'>;

/** What a side holds for a key. Tombstones count as absent when sides are compared. */
export const ItemStates = { live: 'live', tombstone: 'tombstone', absent: 'absent' } as const;
export type ItemState = (typeof ItemStates)[keyof typeof ItemStates];

/**
 * What one side held for a key at one moment, reduced to what the comparison needs: no values.
 * `digest` covers every comparable attribute (see `comparisonRules`); `version` is the
 * `<prefix>v` text when it is a dynasync version, `invalid:<hash>` when it is something else,
 * `''` when there is none.
 */
export interface Observation {
  readonly state: ItemState;
  readonly digest: string;
  readonly version: string;
}

/** What `--repair` did, or would do (`--dry-run`), for one difference. */
export const RepairOutcomes = {
  /** Written: the target now holds the source's state. */
  repaired: 'repaired',
  /** Not written: the target changed since it was read, or holds a newer version. Never overwritten. */
  stale: 'stale',
  /** The write failed (the code says why). */
  failed: 'failed',
  /** Not attempted: repairing it would not be safe (the code says why). */
  skipped: 'skipped',
  /** Dry run: would be written. */
  wouldRepair: 'wouldRepair',
  /** Dry run: would not be written (stale or unsafe; the code says why). */
  wouldSkip: 'wouldSkip',
} as const;
export type RepairOutcome = (typeof RepairOutcomes)[keyof typeof RepairOutcomes];

/** Why a repair was not (or would not be) written. */
export const RepairSkipCodes = {
  /** The target holds a version newer than the one the repair would write. */
  targetNewer: 'verify.targetNewer',
  /** Active-active source item without a version: the replicator rejects it too; stamp it first. */
  unstampedSource: 'verify.unstampedSource',
  /** The item with replication metadata would exceed DynamoDB's 400 KB. */
  itemTooLarge: 'replicator.itemTooLarge',
  /** DynamoDB rejected the write for good (validation, key schema). */
  writeRejected: 'replicator.writeRejected',
  /** The source key of a target-only item cannot be derived (a remapping transform without `sourceKeyOf`). */
  sourceKeyUnknown: 'verify.sourceKeyUnknown',
  /** Transient failures outlasted the retries. */
  unfinished: 'verify.repairUnfinished',
} as const;
export type RepairSkipCode = (typeof RepairSkipCodes)[keyof typeof RepairSkipCodes];

/** The result of repairing one difference. */
export interface RepairResult {
  readonly outcome: RepairOutcome;
  /** `put`: the source's item; `tombstone`: a delete marker. */
  readonly action: 'put' | 'tombstone';
  readonly code?: RepairSkipCode;
}

/**
 * One difference between the regions, as `--output` writes it (one JSON line each).
 *
 * It names attributes, never values. `key` is the item's key as it is, because operators need it
 * to act; treat the output file like the table. Logs and the terminal show `keyHash` only.
 */
export interface Difference {
  readonly kind: DifferenceKind;
  /** Settled differences: what the scan saw. */
  readonly was?: DriftKind;
  /** The target table's key of the item (JSON wire form). */
  readonly key: WireItem;
  /**
   * The deployment's keyed hash of the canonical key (12 hex digits of HMAC-SHA-256 under the masking
   * key, or the local salt: see `resolveKeyHasher`): safe to log, not reversible by guessing keys.
   */
  readonly keyHash: string;
  /** `different`: names of the attributes that differ, sorted. Empty otherwise. */
  readonly attributes: readonly string[];
  /** Versions when the difference was decided (`''`: none). */
  readonly sourceVersion: string;
  readonly targetVersion: string;
  /** Consistent re-reads it took to decide. */
  readonly rechecks: number;
  readonly repair?: RepairResult;
}

/**
 * A live source item the peer's pipeline rejected (`pipeline.itemTooLarge`, `pipeline.mapFailed`,
 * …): the replicator dead-letters it, so the target does not hold what replication should have put
 * there. Not drift between the tables, but not in sync either. A filtered item is not a rejection.
 */
export interface PipelineRejection {
  readonly kind: 'pipelineRejected';
  /** The pipeline's error code. */
  readonly code: string;
  /** The source item's key (its source table's key attributes). Clear: mask it before writing it out. */
  readonly sourceKey: Item;
  /** See {@link Difference.keyHash}; of the source key. */
  readonly keyHash: string;
}

/** Progress of a run, for a progress bar. */
export type VerifyProgress =
  | {
      readonly phase: 'scan';
      readonly scanned: { readonly source: number; readonly target: number };
      /** Items both tables held by DescribeTable (approximate, refreshed by DynamoDB every ~6 h); 0 when unknown. */
      readonly estimatedTotal: number;
      readonly consumedCapacity: { readonly source: number; readonly target: number };
    }
  | { readonly phase: 'compare'; readonly partitionsDone: number; readonly partitions: number }
  | { readonly phase: 'settle'; readonly round: number; readonly candidates: number; readonly waitMs: number }
  | { readonly phase: 'recheck'; readonly round: number; readonly done: number; readonly candidates: number };

/** The summary of a verify run. */
export interface VerifyReport {
  readonly from: string;
  readonly to: string;
  readonly tables: { readonly source: string; readonly target: string };
  /**
   * True when no drift was found (settled differences are not drift) and the pipeline rejected no
   * live source item.
   */
  readonly inSync: boolean;
  readonly counts: Readonly<Record<DifferenceKind, number>>;
  /**
   * Live source items the peer's pipeline rejected, by error code (see {@link PipelineRejection}):
   * absent from the target because replication could not write them. `{}` when none.
   */
  readonly pipelineRejected: Readonly<Record<string, number>>;
  /** Items read by the scans (live items and tombstones). */
  readonly scanned: { readonly source: number; readonly target: number };
  readonly live: { readonly source: number; readonly target: number };
  readonly tombstones: { readonly source: number; readonly target: number };
  /**
   * Read capacity units consumed, as DynamoDB reported them (`ReturnConsumedCapacity: TOTAL`): the
   * scans and the consistent re-reads. `estimated` when an endpoint reported none and the units
   * were computed from item sizes.
   */
  readonly consumedCapacity: {
    readonly source: number;
    readonly target: number;
    readonly estimated: boolean;
  };
  readonly settings: {
    readonly segments: number;
    readonly settleSeconds: number;
    readonly settleRounds: number;
    /** Read capacity units per second per table; `null`: unlimited. */
    readonly maxRps: number | null;
    readonly topology: 'one-way' | 'active-active';
    /** False in one-way: replicas carry versions derived from the source's stream, so `<prefix>v` is not compared. */
    readonly versionsCompared: boolean;
  };
  /** How memory stayed bounded: see docs/verify.md ("The method, and what it reads"). */
  readonly method: {
    readonly partitions: number;
    /** Partitions split again because they held more than `maxEntriesInMemory` entries. */
    readonly splits: number;
    readonly maxEntriesInMemory: number;
    /** Most scan entries held in memory at once while comparing (≤ maxEntriesInMemory). */
    readonly peakEntriesInMemory: number;
    readonly spilledBytes: number;
    /** Keys the scans disagreed on and that were re-read consistently (each read on both sides). */
    readonly candidates: number;
    readonly consistentReads: number;
  };
  readonly repair?: {
    readonly dryRun: boolean;
    readonly counts: Readonly<Record<RepairOutcome, number>>;
  };
  readonly durationMs: number;
  /** Items of both tables verified per second, over the whole run. */
  readonly itemsPerSecond: number;
  /** The first differences (drift first), for the terminal; `--output` has every one. */
  readonly sample: readonly Difference[];
  /**
   * Present when both sides were read from DynamoDB exports (`--from-export`, `--to-export`) rather
   * than scanned: no read units were spent on the scans, only on the candidates' live re-reads.
   */
  readonly exports?: {
    /** The instant both exports are consistent at (ISO 8601). */
    readonly exportTime: string;
    readonly source: string;
    readonly target: string;
  };
  /** Present when the run went through the scale-out engine (`--engine`, `--sample`). */
  readonly scaleout?: {
    readonly jobId: string;
    /** Segments scanned (of `settings.segments`). */
    readonly segmentsScanned: number;
    /** Fraction of segments chosen (`--sample`), 1 for all: a sample's counts cover only those segments. */
    readonly sample: number;
    /** True when the pipeline changes keys and candidates were found partition by partition. */
    readonly shuffled: boolean;
  };
}
