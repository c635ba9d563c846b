/** How the target is written. */
export const WritePaths = {
  /** One conditional `PutItem` per item: never over newer data or a tombstone. Safe while live. */
  conditional: 'conditional',
  /** `BatchWriteItem`, 25 items per request, unconditional: only when provably nothing else is in the target. */
  batch: 'batch',
} as const;
export type WritePath = (typeof WritePaths)[keyof typeof WritePaths];

/** Why a path was chosen. */
export const PathReasons = {
  /** Empty target (consistent scan) and `targetIdle`: batch writes cannot overwrite anything. */
  emptyAndIdle: 'target empty at start (consistent scan) and no live writers (--target-idle)',
  /** The target held items at start. */
  targetNotEmpty: 'target not empty at start',
  /** `targetIdle` was not given: live replication may write the target meanwhile. */
  liveWritersPossible: 'live writers possible (no --target-idle)',
  /** `fastPath: false`. */
  disabled: 'fast path disabled (--no-fast-path)',
  /** Resumed a fast-path run with `targetIdle` again: the fast path goes on. */
  resumed: 'resumed: the path chosen when the run started',
  /** Resumed a fast-path run without `targetIdle` (or with the fast path off): conditional writes, always safe. */
  resumedConditional: 'resumed: conditional writes (the fast path needs --target-idle again)',
  /** A job of segment tasks (`--engine`, `--workers`): conditional writes, safe while live. */
  segmentTasks: 'segment tasks: conditional writes (safe while live)',
} as const;
export type PathReason = (typeof PathReasons)[keyof typeof PathReasons];

/** Progress of a run, for a progress bar. */
export interface BackfillProgress {
  /** Source items read by this run (resumed runs: from the checkpoint on). */
  readonly scanned: number;
  /** Source items the checkpoint had already done when this run started. */
  readonly resumedFrom: number;
  /** Items in the source by DescribeTable (approximate); 0 when unknown. */
  readonly estimatedTotal: number;
  readonly written: number;
  readonly stale: number;
  readonly consumedCapacity: { readonly read: number; readonly write: number };
  /** Writes in flight allowed now (adaptive: halves on throttling, grows back). */
  readonly concurrency: number;
}

/** The summary of a backfill run. */
export interface BackfillReport {
  readonly from: string;
  readonly to: string;
  readonly tables: { readonly source: string; readonly target: string };
  /** True when every scanned item was written or found stale (newer data or a tombstone in the target). */
  readonly complete: boolean;
  readonly path: { readonly chosen: WritePath; readonly reason: PathReason };
  /** Source items read by this run, live items and tombstones. */
  readonly scanned: number;
  /** Items written (after the transform: one source item may become several). */
  readonly written: number;
  /** Conditional writes the target refused: it held newer data or a tombstone. Not an error. */
  readonly stale: number;
  /** Items not written because writing them would not be safe (`code`s counted in `skipCodes`). */
  readonly skipped: number;
  readonly skipCodes: Readonly<Record<string, number>>;
  /** Items DynamoDB rejected for good (too large, validation). */
  readonly failed: number;
  readonly pages: number;
  readonly resume: {
    readonly resumed: boolean;
    /** Source items done by earlier runs (from the checkpoint), not read again. */
    readonly itemsBefore: number;
    readonly segmentsDoneBefore: number;
    readonly checkpoint: string | null;
  };
  /**
   * Capacity units used. `estimated`: some were estimated from item sizes, not reported by DynamoDB
   * (an endpoint that reports none, or the fast path without `--max-wps`, which does not ask).
   */
  readonly consumedCapacity: { readonly read: number; readonly write: number; readonly estimated: boolean };
  readonly throttles: number;
  /** Lowest number of writes in flight the adaptive limit went down to. */
  readonly minConcurrency: number;
  readonly settings: {
    readonly segments: number;
    readonly concurrency: number;
    readonly maxRps: number | null;
    readonly maxWps: number | null;
    readonly topology: 'one-way' | 'active-active';
  };
  readonly durationMs: number;
  /** Source items per second over the whole run. */
  readonly itemsPerSecond: number;
}
