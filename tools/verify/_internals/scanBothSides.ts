import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { linkedAbort } from '../../../core/async/linkedAbort.js';
import { DynasyncError, ErrorCodes } from '../../../core/errors.js';
import { scanTable } from '../../_shared/scanTable.js';
import type { TokenBucket } from '../../_shared/TokenBucket.js';
import { forEachExportPage, scanBodyOf } from '../../exports/forEachExportPage.js';
import type { ExportManifest, ExportObjects } from '../../exports/types.js';
import { VerifyErrorCodes, verifyError } from '../errors.js';
import type { PageSpiller, Side } from './pageSpiller.js';
import type { VerifyRun } from './verifyRun.js';

/** One side of a verify run read from a DynamoDB export instead of a scan (`--from-export`). */
export interface ExportSide {
  readonly objects: ExportObjects;
  readonly manifest: ExportManifest;
}

/** What reading both sides gave: items per side and read units. */
export interface ScanOutcome {
  readonly scanned: Record<Side, number>;
  readonly consumed: { source: number; target: number; estimated: boolean };
}

/** A scan side's failure as verify reports it: an abort is `verify.aborted`. */
const asVerifyError = (cause: unknown): unknown =>
  DynasyncError.match(cause, ErrorCodes.scan.aborted)
    ? verifyError(VerifyErrorCodes.aborted, cause.message, cause.payload, cause)
    : cause;

/**
 * Reads both sides into the spiller at once: a parallel scan of each table (segments, rate limit,
 * retries), or the data files of each side's export. The first failure stops the other side.
 */
export const scanBothSides = async (
  run: VerifyRun,
  spiller: PageSpiller,
  estimatedTotal: number,
  exports?: { readonly source: ExportSide; readonly target: ExportSide },
): Promise<ScanOutcome> => {
  const scanned = { source: 0, target: 0 };
  const consumed = { source: 0, target: 0, estimated: false };
  const report = () =>
    run.progress({
      phase: 'scan',
      scanned: { ...scanned },
      estimatedTotal,
      consumedCapacity: { source: consumed.source, target: consumed.target },
    });
  const scans = linkedAbort(run.options.signal);
  let failure: unknown;
  const readSide = (
    side: Side,
    client: DynamoDBClient,
    tableName: string,
    limiter: TokenBucket | undefined,
  ) => {
    const exported = exports?.[side];
    const reading =
      exported === undefined
        ? scanTable({
            tool: 'verify',
            client,
            tableName,
            segments: run.settings.segments,
            ...(run.options.pageSize === undefined ? {} : { pageSize: run.options.pageSize }),
            ...(limiter === undefined ? {} : { limiter }),
            retry: run.retry,
            signal: scans.signal,
            onBody: (body) => spiller.page(side, body),
            onPage: (items, units) => {
              scanned[side] += items;
              consumed[side] += units;
              report();
            },
          }).then((totals) => {
            consumed.estimated ||= totals.estimated;
          })
        : forEachExportPage(
            exported.objects,
            exported.manifest,
            async (items) => {
              await spiller.page(side, scanBodyOf(items));
              scanned[side] += items.length;
              report();
            },
            { signal: scans.signal },
          ).then(() => undefined);
    return reading.catch((cause: unknown) => {
      const error = asVerifyError(cause);
      if (!scans.signal.aborted) failure ??= error;
      scans.abort();
      throw error;
    });
  };
  const results = await Promise.allSettled([
    readSide('source', run.sourceClient, run.sourceTable, run.limiters.source),
    readSide('target', run.targetClient, run.targetTable, run.limiters.target),
  ]);
  scans.dispose();
  if (failure !== undefined) throw failure;
  const rejected = results.find((result) => result.status === 'rejected');
  if (rejected !== undefined) throw (rejected as PromiseRejectedResult).reason;
  return { scanned, consumed };
};
