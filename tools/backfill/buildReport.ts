import type { WriteCounts } from '../_shared/writeItems/writeItems.js';
import { TOMBSTONE_NOT_TRANSFORMED } from './planBackfill.js';
import type { BackfillReport } from './types.js';

/** Items skipped as unsafe: every skip code but a tombstone not sent through a remapping transform. */
export const unsafeSkips = (skipCodes: Readonly<Record<string, number>>): number =>
  Object.entries(skipCodes)
    .filter(([code]) => code !== TOMBSTONE_NOT_TRANSFORMED)
    .reduce((sum, [, count]) => sum + count, 0);

/** What a run counted, for {@link buildBackfillReport}. */
export interface RunTotals {
  readonly scanned: number;
  readonly pages: number;
  readonly readUnits: number;
  readonly readEstimated: boolean;
  readonly counts: WriteCounts;
  readonly skipCodes: Readonly<Record<string, number>>;
  readonly minConcurrency: number;
  readonly durationMs: number;
}

/** The report of a run from its plan (`report` minus the counted fields) and its totals. Pure. */
export const buildBackfillReport = (
  plan: Pick<BackfillReport, 'from' | 'to' | 'tables' | 'path' | 'resume' | 'settings'>,
  totals: RunTotals,
): BackfillReport => {
  const { counts } = totals;
  const unsafe = unsafeSkips(totals.skipCodes);
  return {
    from: plan.from,
    to: plan.to,
    tables: plan.tables,
    complete: counts.failed === 0 && unsafe === 0,
    path: plan.path,
    scanned: totals.scanned,
    written: counts.written,
    stale: counts.stale,
    skipped: unsafe,
    skipCodes: totals.skipCodes,
    failed: counts.failed,
    pages: totals.pages,
    resume: plan.resume,
    consumedCapacity: {
      read: Number(totals.readUnits.toFixed(1)),
      write: Number(counts.consumedUnits.toFixed(1)),
      estimated: totals.readEstimated || counts.estimatedUnits === true,
    },
    throttles: counts.throttles,
    minConcurrency: totals.minConcurrency,
    settings: plan.settings,
    durationMs: Math.round(totals.durationMs),
    itemsPerSecond: Math.round(totals.scanned / Math.max(totals.durationMs / 1000, 0.001)),
  };
};
