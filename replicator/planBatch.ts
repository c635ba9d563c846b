import { compareVersions } from '../conflict/version.js';
import { DynasyncError } from '../core/errors.js';
import type { Pipeline } from '../pipeline/types.js';
import { foreignRecordError, type SourceTable } from './checkSource.js';
import { type ClassifyContext, classifyRecord } from './classifyRecord.js';
import { decodeRecord } from './decodeRecord.js';
import { pipeChange } from './pipeChange.js';
import {
  type Change,
  type PlannedWrite,
  type Rejection,
  type SkipReason,
  SkipReasons,
  type StreamRecord,
  type WritePlan,
} from './types.js';

/** What planning needs: how to classify records, and the peers to ship to. */
export interface PlanContext extends ClassifyContext {
  readonly peers: readonly string[];
  /** Resolved pipelines of the peers that have one (`createPipelines`); other peers get items as they are. @default none */
  readonly pipelines?: Readonly<Record<string, Pipeline>>;
  /** The table whose stream is read: records of any other stream are rejected (`replicator.foreignRecord`). @default not checked */
  readonly source?: SourceTable;
}

/**
 * Turns a batch of stream records into a write plan, without any I/O.
 *
 * Changes are coalesced per key: only the newest version of each key is written, once per peer;
 * the older changes of that key complete when it does. Records that cannot be replicated
 * (malformed — a `null` or non-object entry too —, from another table's stream, unstamped in
 * active-active, stamped too far in the future) are rejected for the dead-letter sink, and the rest
 * of the batch goes on.
 *
 * ```
 * batch:  #0 k1 v1   #1 k2 v5   #2 k1 v3   #3 k1 v2 (late)
 * plan:   k1 → v3 (completes #0 #2 #3)   k2 → v5 (completes #1)      × every peer
 * ```
 */
export const planBatch = (records: readonly StreamRecord[], context: PlanContext): WritePlan => {
  const skipped: Array<{ index: number; reason: SkipReason }> = [];
  const rejected: Rejection[] = [];
  const byKey = new Map<string, { newest: Change; indexes: number[]; changes: Change[] }>();

  records.forEach((record, index) => {
    const foreign =
      context.source === undefined ? undefined : foreignRecordError(record, index, context.source);
    if (foreign !== undefined) {
      rejected.push({ index, error: foreign });
      return;
    }
    let classification: ReturnType<typeof classifyRecord>;
    try {
      classification = classifyRecord(decodeRecord(record, index), context);
    } catch (error) {
      if (!(error instanceof DynasyncError)) throw error;
      rejected.push({ index, error });
      return;
    }
    if (classification.type === 'skip') {
      skipped.push({ index, reason: classification.reason });
      return;
    }
    if (classification.type === 'reject') {
      rejected.push({ index, error: classification.error });
      return;
    }
    const { change } = classification;
    if (context.peers.length === 0) {
      skipped.push({ index, reason: SkipReasons.noPeers });
      return;
    }
    const group = byKey.get(change.keyId);
    if (group === undefined) {
      byKey.set(change.keyId, { newest: change, indexes: [index], changes: [change] });
      return;
    }
    group.indexes.push(index);
    group.changes.push(change);
    if (compareVersions(change.version, group.newest.version) >= 0) {
      skipped.push({ index: group.newest.record.index, reason: SkipReasons.coalesced });
      group.newest = change;
    } else {
      skipped.push({ index, reason: SkipReasons.coalesced });
    }
  });

  const writes: PlannedWrite[] = [];
  for (const { newest, indexes, changes } of byKey.values()) {
    for (const peer of context.peers) {
      const pipeline = context.pipelines?.[peer];
      if (pipeline === undefined) {
        writes.push({ peer, change: newest, recordIndexes: indexes });
        continue;
      }
      // The pipeline runs per peer after decode, echo filter and coalescing; a failure rejects the record for this peer only.
      try {
        for (const change of pipeChange(changes, newest, pipeline, peer, context))
          writes.push({ peer, change, recordIndexes: indexes });
      } catch (error) {
        if (!(error instanceof DynasyncError)) throw error;
        rejected.push({ index: newest.record.index, error, peers: [peer] });
      }
    }
  }
  return { writes, skipped, rejected };
};
