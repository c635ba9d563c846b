import type { Item } from '../core/types.js';
import type { ConflictAuditEntry } from './merge/conflictAudit.js';
import type { PlannedWrite, WriteResult } from './types.js';

/** What the merge strategy adds to a write's result. Absent under LWW, and for merge writes that met no conflict. */
export interface MergeOutcome {
  /** Set when concurrent writes were detected (each is logged and audited). */
  readonly conflict?: ConflictAuditEntry;
  /** The item stored at the peer when a conflict was dead-lettered ("both versions"). */
  readonly storedItem?: Item;
}

/** The result of one peer write, as every {@link PeerWrites} returns it: the outcome, and what a merge found. */
export interface PeerWriteResult extends WriteResult {
  /** @default absent (LWW, or no conflict) */
  readonly merge?: MergeOutcome;
}

/**
 * Sends planned writes to peer tables; one implementation per conflict strategy (`PeerWriter` for
 * LWW, `MergePeerWriter` for merge), built from the config by `createPeerWrites`. Callers see only
 * this interface: a merge's conflict and stored item are typed members of the result, never a cast.
 */
export interface PeerWrites {
  /**
   * Sends every write; resolves when each has an outcome. Never rejects for a DynamoDB error.
   * @param onResult called as each write ends (the change is visible at the peer when `applied`).
   */
  sendAll(
    writes: readonly PlannedWrite[],
    deadlineMs: number,
    onResult?: (result: PeerWriteResult) => void,
  ): Promise<PeerWriteResult[]>;
  /** Sends one write, retrying transient failures until `deadlineMs` (epoch ms). */
  send(write: PlannedWrite, deadlineMs: number, deadlineSignal?: AbortSignal): Promise<PeerWriteResult>;
}
