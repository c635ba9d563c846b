import { tryDecodeVersion } from '../../conflict/version.js';
import { keyIdOf } from '../../core/keyId.js';
import type { PeerWrites } from '../../replicator/PeerWrites.js';
import { type Change, EventNames, WriteOutcomes } from '../../replicator/types.js';
import type { RepairPlan } from './planRepair.js';
import { RepairOutcomes, type RepairResult, RepairSkipCodes } from './types.js';

/** Time one merge repair may take, retries and lost races included. */
const MERGE_REPAIR_BUDGET_MS = 30_000;

/** Where a merge repair goes and how long it may take. */
export interface MergeRepairTarget {
  /** The merge strategy's writer (`createPeerWrites` under `conflict.strategy: "merge"`). */
  readonly writer: PeerWrites;
  /** The target region (the writer's peer). */
  readonly peer: string;
  /** The target table's key attribute names. */
  readonly keyNames: readonly string[];
  /** Wall clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/**
 * Sends one repair under `conflict.strategy: "merge"`: the source's state is delivered to the target
 * as replication delivers a change, through the merge writer, so vector clocks decide and a concurrent
 * target state is merged, never overwritten.
 *
 * ```
 * target holds nothing              → put the source's item
 * source's clock after the target's → put the source's item, if the target's clock is unchanged
 * target's clock covers the source's → stale (the target has seen it)
 * concurrent                         → merge (built-in or the user's), put, if unchanged
 * ```
 * A merge that throws or keeps losing races is `failed` (`replicator.writeRejected`); nothing is
 * written then.
 */
export const sendMergeRepair = async (
  target: MergeRepairTarget,
  plan: Extract<RepairPlan, { type: 'put' }>,
  signal?: AbortSignal,
): Promise<RepairResult> => {
  const now = target.now ?? Date.now;
  const version = tryDecodeVersion(plan.version);
  if (version === undefined) throw new Error(`sendMergeRepair: "${plan.version}" is not a version`);
  const keys = Object.fromEntries(target.keyNames.map((name) => [name, plan.item[name]!]));
  const keyId = keyIdOf(keys);
  const tombstone = plan.action === 'tombstone';
  // The change as a stream record would carry it, with no old image: the writer reads the target.
  const change: Change = {
    record: {
      index: 0,
      sequenceNumber: 'verify-repair',
      eventName: tombstone ? EventNames.remove : EventNames.modify,
      keys,
      keyId,
      newImage: tombstone ? undefined : plan.item,
      oldImage: undefined,
      createdAtMs: version.physicalMs,
      byTtl: false,
    },
    keyId,
    keys,
    version,
    versionText: plan.version,
    item: plan.item,
    tombstone,
    derived: false,
  };
  const result = await target.writer.send(
    { peer: target.peer, change, recordIndexes: [0] },
    now() + MERGE_REPAIR_BUDGET_MS,
    signal,
  );
  switch (result.outcome) {
    case WriteOutcomes.applied:
      return { outcome: RepairOutcomes.repaired, action: plan.action };
    case WriteOutcomes.stale:
      return { outcome: RepairOutcomes.stale, action: plan.action };
    case WriteOutcomes.permanent:
      return { outcome: RepairOutcomes.failed, action: plan.action, code: RepairSkipCodes.writeRejected };
    default:
      return { outcome: RepairOutcomes.failed, action: plan.action, code: RepairSkipCodes.unfinished };
  }
};
