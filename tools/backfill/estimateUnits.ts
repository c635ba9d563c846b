/** The capacity a backfill will consume, estimated before it runs. */
export interface BackfillEstimate {
  /** Source items and bytes by DescribeTable (approximate, refreshed by DynamoDB every ~6 h). */
  readonly itemCount: number;
  readonly sizeBytes: number;
  /** Read units of one eventually consistent scan of the source: 0.5 per 4 KB. */
  readonly readUnits: number;
  /** Write units of writing every item once: 1 per started KB of the average item. */
  readonly writeUnits: number;
}

/**
 * The read and write units a backfill of a table of `itemCount` items and `sizeBytes` bytes
 * consumes (as AWS's bulk executor prints them): the scan reads every byte once, eventually
 * consistent; every item is written once (a stale conditional write is charged the same). Pure.
 * @example estimateBackfillUnits(1_000, 2_048_000) // { readUnits: 250, writeUnits: 2000, … }
 */
export const estimateBackfillUnits = (itemCount: number, sizeBytes: number): BackfillEstimate => ({
  itemCount,
  sizeBytes,
  readUnits: Math.ceil(sizeBytes / 4096) * 0.5,
  writeUnits: itemCount === 0 ? 0 : itemCount * Math.max(1, Math.ceil(sizeBytes / itemCount / 1024)),
});

/** The estimate as one line of text. */
export const formatBackfillEstimate = (estimate: BackfillEstimate): string =>
  `backfill will consume about ${estimate.readUnits} read units and ${estimate.writeUnits} write units (source: ${estimate.itemCount} items, ${estimate.sizeBytes} bytes by DescribeTable)`;
