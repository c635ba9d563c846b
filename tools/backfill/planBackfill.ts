import type { MetadataNames } from '../../core/config/topology.js';
import type { Item } from '../../core/types.js';
import { planRepair, type RepairContext, type RepairPlan } from '../verify/planRepair.js';
import { DifferenceKinds, identityTransform, type SourceTransform } from '../verify/types.js';

/** One write of a backfill: the stamped item and the version its condition compares. */
export type BackfillWrite = Extract<RepairPlan, { type: 'put' }>;

/** What {@link planBackfillPage} needs to know. */
export interface BackfillPlanContext {
  readonly names: MetadataNames;
  /** Active-active: items keep their own version. One-way: a version derived from the read time. */
  readonly compareVersions: boolean;
  /** The source region (origin of derived versions). */
  readonly from: string;
  /** When the page's scan request was first sent, epoch ms. */
  readonly readAtMs: number;
  readonly tombstoneRetentionSeconds: number;
  readonly targetKeyNames: readonly string[];
  /** The peer's pipeline. @default identity */
  readonly transform?: SourceTransform;
}

/** The writes of one scanned page, and the items it would not be safe to write (by code). */
export interface BackfillPagePlan {
  readonly writes: BackfillWrite[];
  readonly skipped: Record<string, number>;
}

/** A source tombstone seen through a remapping transform: its derived keys are unknown. */
export const TOMBSTONE_NOT_TRANSFORMED = 'backfill.tombstoneNotTransformed';

/**
 * Plans the writes of one scanned page. Pure. A scanned item is a change like any other: it goes
 * through the peer's pipeline, and each output gets the version verify's repair would give it
 * ({@link planRepair}, kind `missing`), so backfill and repair can never disagree:
 *
 * - **active-active**: the item's own version; an item without one is skipped
 *   (`verify.unstampedSource`: the replicator rejects it too).
 * - **one-way**: versions come from stream positions, and a scanned item has none. The backfill
 *   writes the lowest version of the second before the page's scan request was sent:
 *
 * ```
 *   12:00:04.700 live change A ── stream v=12:00:04.xxx~seqA ──► replicated (maybe after the backfill)
 *   12:00:06.300 page requested ─► backfill v = 12:00:05.000.000000.<from>~0…0
 *   12:00:06.800 live change B ── stream v=12:00:06.xxx~seqB (≥ the read second) ─► replicated
 *
 *   target:  nothing or A (older)  ◄─ backfill writes (v=…05.000 > …04.xxx and > absent)
 *            B (newer), or a tombstone of a delete after the read ─► backfill is stale, B stays
 *            A arriving after the backfill ─► stale, but the backfill already holds A's content
 *            (the scan read A's result): nothing is lost either way
 * ```
 *   A change after the read is always newer than the backfill (even versioned by whole stream
 *   seconds, as Lambda reports them), so it is never lost behind it and a delete is never undone;
 *   absent beats nothing. Assumes the host's clock is within a second of DynamoDB's (as repair).
 * - Source tombstones are copied (so a late older change cannot resurrect the key in the new
 *   replica), but only with the identity transform: through a remapping transform their derived
 *   keys are unknown and they are skipped ({@link TOMBSTONE_NOT_TRANSFORMED}; absent is the same).
 */
export const planBackfillPage = (items: readonly Item[], context: BackfillPlanContext): BackfillPagePlan => {
  const transform = context.transform ?? identityTransform;
  const repairContext: RepairContext = {
    names: context.names,
    compareVersions: context.compareVersions,
    from: context.from,
    sourceReadAtMs: context.readAtMs,
    tombstoneRetentionSeconds: context.tombstoneRetentionSeconds,
    targetKeyNames: context.targetKeyNames,
  };
  const writes: BackfillWrite[] = [];
  const skipped: Record<string, number> = {};
  const skip = (code: string) => {
    skipped[code] = (skipped[code] ?? 0) + 1;
  };
  for (const item of items) {
    const tombstone = item[context.names.deleted] !== undefined;
    if (tombstone && transform !== identityTransform) {
      skip(TOMBSTONE_NOT_TRANSFORMED);
      continue;
    }
    for (const output of tombstone ? [item] : transform(item)) {
      const plan = planRepair(DifferenceKinds.missing, output, undefined, repairContext);
      if (plan.type === 'skip') skip(plan.code);
      else writes.push(plan);
    }
  }
  return { writes, skipped };
};
