import { type MergeMetadata, readMergeMetadata, userAttributes } from '../../../conflict/merge/itemState.js';
import type { MergeNames } from '../../../conflict/merge/types.js';
import { differingAttributes } from '../../../core/equality.js';
import type { Item } from '../../../core/types.js';
import { type ConflictAuditEntry, type ConflictOutcome, conflictAuditEntry } from '../conflictAudit.js';

/** What a conflict's audit entry is made of. */
export interface ConflictFacts {
  readonly at: Date;
  readonly keyHash: string;
  readonly sourceRegion: string;
  readonly targetRegion: string;
  readonly outcome: ConflictOutcome;
  /** The item stored at the peer. */
  readonly local: Item;
  /** The metadata of the stored item, and of the item the stream brought (read before the key is hashed). */
  readonly localMeta: MergeMetadata;
  readonly remoteMeta: MergeMetadata;
  /** The merged item, when the merge produced one. */
  readonly merged: Item | undefined;
  readonly attempts: number;
  readonly names: MergeNames;
}

/** The audit entry of a conflict (pure): clocks and versions of both sides, and the attributes the merge changed. */
export const conflictEntry = (facts: ConflictFacts): ConflictAuditEntry => {
  const { local, merged, names, localMeta, remoteMeta } = facts;
  return conflictAuditEntry({
    at: facts.at,
    keyHash: facts.keyHash,
    sourceRegion: facts.sourceRegion,
    targetRegion: facts.targetRegion,
    localClock: localMeta.clock,
    remoteClock: remoteMeta.clock,
    ...(merged === undefined ? {} : { mergedClock: readMergeMetadata(merged, names).clock }),
    localVersion: localMeta.version,
    remoteVersion: remoteMeta.version,
    outcome: facts.outcome,
    attempts: facts.attempts,
    changedAttributes:
      merged === undefined
        ? []
        : differingAttributes(userAttributes(local, names), userAttributes(merged, names)),
  });
};
