/** What DescribeTable says of a table, for {@link estimateScanReadUnits}. */
export interface TableSize {
  /** `TableSizeBytes` (approximate, refreshed by DynamoDB about every 6 hours). */
  readonly sizeBytes: number;
  /** `ItemCount` (approximate likewise). */
  readonly itemCount: number;
}

/**
 * Read units an eventually consistent scan of a table will consume, as AWS's bulk executor
 * estimates them: 0.5 read unit per 4 KB of the table's size (DynamoDB charges a scan by the bytes
 * of each page, rounded up to 4 KB, so the figure is a floor by at most half a unit per page). A
 * sample scans the fraction `sample` of the segments, so of the items. Consistent re-reads of the
 * candidates come on top (one read unit per 4 KB of each, for both tables: few where tables agree).
 * @example
 * estimateScanReadUnits({ sizeBytes: 10 * 1024 ** 3, itemCount: 20e6 }) // 1310720 (10 GiB)
 */
export const estimateScanReadUnits = (table: TableSize, sample = 1): number =>
  Math.ceil((Math.max(0, table.sizeBytes) * sample) / 4096) * 0.5;
