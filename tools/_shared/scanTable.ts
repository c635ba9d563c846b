import {
  type DynamoDBClient,
  ScanCommand,
  type ScanCommandInput,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { DynasyncError } from '../../core/errors.js';
import { VerifyErrorCodes, verifyError } from '../verify/errors.js';
import { linkedAbort } from './linkedAbort.js';
import { type ScanBodyHandler, withScanBodyHandler } from './scanBody.js';
import type { TokenBucket } from './TokenBucket.js';
import { type RetryPolicy, withRetries } from './withRetries.js';

/** Options of {@link scanTable}. */
export interface ScanTableOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Parallel scan segments (`TotalSegments`). */
  readonly segments: number;
  /** Items per page (`Limit`; DynamoDB also stops a page at 1 MB). @default 500, or fewer to fit the rate limit */
  readonly pageSize?: number;
  /**
   * Items of each segment's first page, when smaller than the page size: a consumer that writes what
   * it reads (backfill) starts writing after a short first read instead of a full page.
   * @default the page size
   */
  readonly firstPageSize?: number;
  /** Shared read-capacity budget of this table. @default unlimited */
  readonly limiter?: TokenBucket;
  readonly retry: RetryPolicy;
  readonly signal?: AbortSignal;
  /**
   * Handles each page's response body (its items in their JSON wire form, see `withScanBodyHandler`);
   * the next page of that segment is read once it resolves (back-pressure).
   */
  readonly onBody: ScanBodyHandler;
  /**
   * Where each segment starts (backfill's `--resume`): `done` skips a finished segment,
   * `exclusiveStartKey` continues after the last page written. @default every segment from its start
   */
  readonly startAt?: (segment: number) => SegmentStart;
  /** The segments to scan (a scale-out worker's one segment). @default all of `0..segments-1` */
  readonly only?: readonly number[];
  /** Called after each page with its item count and read units. */
  readonly onPage?: (items: number, consumedUnits: number) => void;
  /**
   * Asked after each page: true stops the segment there (a scale-out worker at its deadline), and
   * {@link onSegmentEnd} gets the key to go on from. @default never
   */
  readonly stopAfterPage?: () => boolean;
  /**
   * Called when a segment ends: with `undefined` when it was read to the end, else with the
   * `LastEvaluatedKey` to resume at (see {@link stopAfterPage}).
   */
  readonly onSegmentEnd?: (segment: number, resumeAt: ScanCommandInput['ExclusiveStartKey']) => void;
}

/**
 * Items per scan page by default. Parsed items in flight are what a scan holds in memory
 * (`segments × 2 tables × page`); 500 keeps that to a few MB for typical items, where DynamoDB's
 * 1 MB pages of small items hold thousands (measured: peak RSS grows ~3× less with the table size),
 * at no cost in throughput.
 */
export const DEFAULT_PAGE_SIZE = 500;

/** Where one segment of a scan starts. */
export type SegmentStart =
  | { readonly done: true }
  | { readonly done: false; readonly exclusiveStartKey?: ScanCommandInput['ExclusiveStartKey'] };

/** What a scan read and what it cost. */
export interface ScanTotals {
  items: number;
  pages: number;
  /** Read capacity units (as DynamoDB reported them, else estimated from item sizes). */
  consumedUnits: number;
  /** True when some page's units were estimated (the endpoint reported none). */
  estimated: boolean;
}

/**
 * Read units of an eventually consistent page when the endpoint reports none: 0.5 per started 4 KB
 * of the page, its size taken from the response body (an overestimate, never an underestimate).
 */
export const estimateScanUnits = (bodyBytes: number): number => Math.ceil(bodyBytes / 4096) * 0.5;

const interrupted = (tableName: string) =>
  verifyError(VerifyErrorCodes.aborted, `verify: the scan of ${tableName} was interrupted`, {
    table: tableName,
  });

/**
 * Scans a whole table with `segments` parallel segments, eventually consistent (half the read cost
 * of a consistent scan: candidates are re-read consistently later). Each page's consumed capacity is
 * asked for (`ReturnConsumedCapacity: TOTAL`) and charged to the limiter. With a rate limit and no
 * page size, pages are sized so that one costs about half a second of a segment's share of the rate
 * (at most {@link DEFAULT_PAGE_SIZE} items).
 * The first segment to fail stops the others.
 */
export const scanTable = async (options: ScanTableOptions): Promise<ScanTotals> => {
  const totals: ScanTotals = { items: 0, pages: 0, consumedUnits: 0, estimated: false };
  const { limiter, tableName } = options;
  let unitsPerItem = 0.5 / 8; // until measured: 512-byte items
  const pageLimit = (): number => {
    if (options.pageSize !== undefined) return options.pageSize;
    if (limiter === undefined) return DEFAULT_PAGE_SIZE;
    const share = Math.max(0.5, limiter.rate() / options.segments / 2);
    return Math.max(1, Math.min(DEFAULT_PAGE_SIZE, Math.floor(share / unitsPerItem)));
  };
  const { signal, abort, dispose } = linkedAbort(options.signal);
  const segment = async (index: number): Promise<void> => {
    const start = options.startAt?.(index);
    if (start?.done === true) return;
    let startKey: ScanCommandInput['ExclusiveStartKey'] = start?.exclusiveStartKey;
    let first = true;
    do {
      if (signal.aborted) throw interrupted(tableName);
      const limit =
        first && options.firstPageSize !== undefined
          ? Math.max(1, Math.min(options.firstPageSize, pageLimit()))
          : pageLimit();
      first = false;
      const reserved = Math.max(0.5, limit * unitsPerItem);
      await limiter?.reserve(reserved, signal);
      const input: ScanCommandInput = {
        TableName: tableName,
        Segment: index,
        TotalSegments: options.segments,
        ReturnConsumedCapacity: 'TOTAL',
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        Limit: limit,
      };
      let page: ScanCommandOutput;
      let bodyBytes = 0;
      const requestedAtMs = Date.now();
      const onBody: ScanBodyHandler = (body) => {
        bodyBytes = body.byteLength;
        return options.onBody(body, { segment: index, requestedAtMs });
      };
      try {
        page = await withRetries(
          () =>
            options.client.send(withScanBodyHandler(new ScanCommand(input), onBody), { abortSignal: signal }),
          options.retry,
          signal,
        );
      } catch (cause) {
        if (signal.aborted) throw interrupted(tableName);
        if (cause instanceof DynasyncError) throw cause; // the body handler's own (e.g. verify.keySchemaMismatch)
        const error = cause as Error;
        throw verifyError(
          VerifyErrorCodes.scanFailed,
          `verify: scanning ${tableName} (segment ${index} of ${options.segments}) failed: ${error.name}: ${error.message}. Check the table, the credentials and its capacity, or lower --max-rps`,
          { table: tableName, segment: index, awsError: error.name },
          cause,
        );
      }
      const items = page.Count ?? 0;
      let units = page.ConsumedCapacity?.CapacityUnits;
      if (units === undefined) {
        units = estimateScanUnits(bodyBytes);
        totals.estimated = true;
      }
      limiter?.settle(reserved, units);
      if (items > 0) unitsPerItem = Math.max(units / items, 1e-6);
      totals.items += items;
      totals.pages += 1;
      totals.consumedUnits += units;
      options.onPage?.(items, units);
      startKey = page.LastEvaluatedKey;
      if (startKey !== undefined && options.stopAfterPage?.() === true) break;
    } while (startKey !== undefined);
    options.onSegmentEnd?.(index, startKey);
  };
  let firstFailure: unknown;
  try {
    const results = await Promise.allSettled(
      (options.only ?? Array.from({ length: options.segments }, (_, index) => index)).map((index) =>
        segment(index).catch((error: unknown) => {
          // The first real failure, not the interruptions of the segments it stops.
          if (!signal.aborted) firstFailure ??= error;
          abort();
          throw error;
        }),
      ),
    );
    if (firstFailure !== undefined) throw firstFailure;
    if (results.some((result) => result.status === 'rejected')) throw interrupted(tableName);
    return totals;
  } finally {
    dispose();
  }
};
