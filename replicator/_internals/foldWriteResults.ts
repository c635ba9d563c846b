import type { PeerWriteResult } from '../PeerWrites.js';
import { type BatchCounts, WriteOutcomes } from '../types.js';
import { type LetterCandidate, type LetterContext, permanentCandidate } from './letterCandidate.js';

/** Applied and stale writes at one peer, and the newest writer-stamped version applied there. */
export interface PeerTally {
  applied: number;
  stale: number;
  newestAppliedVersionMs?: number;
}

/** What a batch's write results come to (besides its counts). */
export interface WriteFold {
  /** Batch positions of records some write of which ended `unfinished`. */
  readonly unfinished: Set<number>;
  /** Letters of the writes that ended `permanent`. */
  readonly candidates: LetterCandidate[];
  /** Per peer: its unfinished writes and the cause of the first. */
  readonly unfinishedByPeer: Map<string, { writes: number; cause: unknown }>;
  /** Stream time of the newest applied change, epoch ms. */
  newestAppliedMs: number | undefined;
  readonly peers: Record<string, PeerTally>;
}

const tallyOf = (peers: Record<string, PeerTally>, peer: string): PeerTally => {
  peers[peer] ??= { applied: 0, stale: 0 };
  return peers[peer];
};

const foldApplied = (fold: WriteFold, result: PeerWriteResult): void => {
  fold.newestAppliedMs = Math.max(fold.newestAppliedMs ?? 0, result.write.change.record.createdAtMs);
  const peer = tallyOf(fold.peers, result.write.peer);
  peer.applied += 1;
  // A derived version's time is the stream time: no truer than the stream lag.
  if (!result.write.change.derived) {
    peer.newestAppliedVersionMs = Math.max(
      peer.newestAppliedVersionMs ?? 0,
      result.write.change.version.physicalMs,
    );
  }
};

const foldUnfinished = (fold: WriteFold, result: PeerWriteResult): void => {
  for (const index of result.write.recordIndexes) fold.unfinished.add(index);
  const peer = fold.unfinishedByPeer.get(result.write.peer);
  if (peer === undefined)
    fold.unfinishedByPeer.set(result.write.peer, { writes: 1, cause: result.error?.cause });
  else peer.writes += 1;
};

/**
 * Folds a batch's write results: counts them into `counts` (applied, stale, unfinished, retries,
 * conflicts), tallies each peer, and collects the unfinished records and the letters of permanent failures.
 */
export const foldWriteResults = (
  results: readonly PeerWriteResult[],
  counts: BatchCounts,
  context: LetterContext,
): WriteFold => {
  const fold: WriteFold = {
    unfinished: new Set(),
    candidates: [],
    unfinishedByPeer: new Map(),
    newestAppliedMs: undefined,
    peers: {},
  };
  for (const result of results) {
    counts.retried += Math.max(0, result.attempts - 1);
    if (result.merge?.conflict !== undefined) counts.conflicts = (counts.conflicts ?? 0) + 1;
    switch (result.outcome) {
      case WriteOutcomes.applied:
        counts.applied += 1;
        foldApplied(fold, result);
        break;
      case WriteOutcomes.stale:
        counts.stale += 1;
        tallyOf(fold.peers, result.write.peer).stale += 1;
        break;
      case WriteOutcomes.unfinished:
        counts.unfinished += 1;
        foldUnfinished(fold, result);
        break;
      case WriteOutcomes.permanent:
        fold.candidates.push(permanentCandidate(result, context));
        break;
    }
  }
  return fold;
};
