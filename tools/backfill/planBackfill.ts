import type { MetadataNames } from '../../core/config/topology.js';
import { DynasyncError } from '../../core/errors.js';
import type { Item } from '../../core/types.js';
import type { BackfillWrite } from '../_shared/writeItems/writeItems.js';
import { planRepair, type RepairContext } from '../verify/planRepair.js';
import { DifferenceKinds, identityTransform, type SourceTransform } from '../verify/types.js';

/** One write of a backfill: the stamped item and the version its condition compares. */
export type { BackfillWrite };

/** What {@link planBackfillPage} needs to know. */
export interface BackfillPlanContext {
  readonly names: MetadataNames;
  /** Active-active: items keep their own version. One-way: a version derived from the read time. */
  readonly compareVersions: boolean;
  /** The source region (origin of derived versions). */
  readonly from: string;
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
 * The physical time of a one-way backfill version: 0, the lowest version there is
 * (`000000000000000.000000.<from>~0…0`). See {@link planBackfillPage}.
 */
export const BACKFILL_VERSION_MS = 0;

/**
 * Plans the writes of one scanned page. Pure. A scanned item is a change like any other: it goes
 * through the peer's pipeline, and each output is stamped by verify's repair planner
 * ({@link planRepair}, kind `missing`), so backfill and repair share one stamping rule:
 *
 * - **active-active**: the item's own version; an item without one is skipped
 *   (`verify.unstampedSource`: the replicator rejects it too).
 * - **one-way**: versions come from stream positions, and a scanned item has none. The backfill
 *   writes the *lowest* version there is ({@link BACKFILL_VERSION_MS}): it beats only "absent" (and
 *   an earlier backfill's write of the key), and loses to every version replication writes.
 *
 * ```
 *   replication running ─────────────────────────────────────────────────────────────►
 *   12:00:04 change A ─ stream v=A ──────────► target: A (or later)
 *   12:00:06 backfill reads k (sees A) ── write v=0…0 ──► target holds A: stale, A stays
 *   12:00:07 change B (or a delete) ── v=B ─► target: B / tombstone; a backfill arriving
 *                                             later is stale: never over newer, never a resurrection
 *   key never changed since the stream began ────► target: absent ── backfill writes it
 * ```
 *   Why not a version from the read time, as verify's repair derives one: stream times are coarse
 *   (whole seconds in Lambda, whole *minutes* on DynamoDB Local, measured), so a change made just
 *   after the read can carry a stream version older than a read-time version, and would be hidden
 *   behind the backfill until the key changes again (the live-workload test caught exactly that).
 *   The lowest version needs no clock at all. It is enough because a target version can only come
 *   from replication (or an earlier backfill), and when replication has written a key, the stream
 *   also carries every later change of it: the target converges to the source without the
 *   backfill's help. That is why replication must start *before* the backfill (docs/backfill-and-migrate.md, "Runbook: seed a new region while live").
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
    sourceReadAtMs: BACKFILL_VERSION_MS,
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
    let outputs: readonly Item[];
    try {
      outputs = tombstone ? [item] : transform(item);
    } catch (error) {
      // The replicator dead-letters such an item (e.g. too large after masking): counted, not written.
      if (DynasyncError.match(error, 'pipeline.')) {
        skip(error.code);
        continue;
      }
      throw error;
    }
    for (const output of outputs) {
      const plan = planRepair(DifferenceKinds.missing, output, undefined, repairContext);
      if (plan.type === 'skip') skip(plan.code);
      else writes.push(plan);
    }
  }
  return { writes, skipped };
};
