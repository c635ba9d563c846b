import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decodeItem } from '../../core/codec.js';
import type { Item, WireItem } from '../../core/types.js';
import type { ScanPageInfo } from '../_shared/scanBody.js';
import { type ScanTotals, type SegmentStart, scanTable } from '../_shared/scanTable.js';
import type { TokenBucket } from '../_shared/TokenBucket.js';
import type { RetryPolicy } from '../_shared/withRetries.js';

/**
 * Items of each segment's first scan page when `pageSize` is not given: the first writes start after
 * a short read (4 segments × 100 items are 16 batch requests, enough to fill 8 in flight) instead of
 * a full page per segment, while the next, full pages are read.
 */
export const FIRST_PAGE_SIZE = 100;

/** A scan response body's items (decoded, exact) and the rest of the document for the SDK. */
export const decodeScanBody = (
  body: Uint8Array,
  tableName: string,
): {
  readonly items: Item[];
  readonly lastKey: WireItem | undefined;
  readonly rest: Record<string, unknown>;
} => {
  const { Items, ...rest } = JSON.parse(
    Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
  ) as { Items?: unknown[]; LastEvaluatedKey?: WireItem } & Record<string, unknown>;
  const items = (Items ?? []).map((item, index) => decodeItem(item, `${tableName} item ${index}`));
  return { items, lastKey: rest.LastEvaluatedKey, rest };
};

/** Options of {@link scanSourcePages}. */
export interface ScanSourceOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly segments: number;
  /** @default {@link FIRST_PAGE_SIZE} for each segment's first page, then the scan's default */
  readonly pageSize?: number;
  readonly limiter?: TokenBucket;
  readonly retry: RetryPolicy;
  readonly signal: AbortSignal;
  readonly startAt: (segment: number) => SegmentStart;
  /** Asked after each page: true ends the segment there (a segment task at its deadline). @default never */
  readonly stopAfterPage?: () => boolean;
  /** Each page's items; the segment's next page is read once it resolves (back-pressure). */
  readonly onPage: (segment: number, items: readonly Item[], lastKey: WireItem | undefined) => Promise<void>;
  /** Read units of each page. */
  readonly onUnits: (units: number) => void;
}

/** The scan phase: a parallel segmented scan of the source, each page decoded and handed on. */
export const scanSourcePages = (options: ScanSourceOptions): Promise<ScanTotals> =>
  scanTable({
    tool: 'backfill',
    client: options.client,
    tableName: options.tableName,
    segments: options.segments,
    ...(options.pageSize === undefined ? { firstPageSize: FIRST_PAGE_SIZE } : { pageSize: options.pageSize }),
    ...(options.limiter === undefined ? {} : { limiter: options.limiter }),
    retry: options.retry,
    signal: options.signal,
    startAt: options.startAt,
    ...(options.stopAfterPage === undefined ? {} : { stopAfterPage: options.stopAfterPage }),
    onBody: async (body: Uint8Array, info?: ScanPageInfo) => {
      const { items, lastKey, rest } = decodeScanBody(body, options.tableName);
      await options.onPage(info?.segment ?? 0, items, lastKey);
      return rest;
    },
    onPage: (_items, units) => options.onUnits(units),
  });
