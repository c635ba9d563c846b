import { readMergeMetadata } from '../../conflict/merge/itemState.js';
import { decideMerge, mergeItems } from '../../conflict/merge/mergeItems.js';
import {
  MergeDecisions,
  type MergeFunction,
  type MergeNames,
  type MergeSpec,
} from '../../conflict/merge/types.js';
import { mergeWithUserFunction } from '../../conflict/merge/userMerge.js';
import type { VectorClock } from '../../conflict/vectorClock.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { Item } from '../../core/types.js';
import { type KeyHasher, processKeyHasher } from '../../keys/keyHasher.js';
import { oversizeResult, type PeerWriterOptions } from '../PeerWriter.js';
import { PeerWriterBase } from '../PeerWriterBase.js';
import type { PeerWriteResult } from '../PeerWrites.js';
import { type PlannedWrite, WriteOutcomes } from '../types.js';
import { conflictEntry } from './_internals/conflictEntry.js';
import { expectationOf } from './_internals/expectation.js';
import { MergeSend } from './_internals/MergeSend.js';
import {
  contendedError,
  mergeFailedWriteError,
  outOfTimeError,
  rejectedError,
} from './_internals/mergeSendErrors.js';
import { OutOfTime } from './_internals/sendSignals.js';
import { type ConflictAuditEntry, type ConflictOutcome, ConflictOutcomes } from './conflictAudit.js';

/** Options of {@link MergePeerWriter}. */
export interface MergePeerWriterOptions extends PeerWriterOptions {
  readonly names: MergeNames;
  /** The built-in merges (used when `merge` is not given). */
  readonly spec: MergeSpec;
  /**
   * A user merge (from `conflict.module`), or a promise of one while it loads. If loading fails
   * (`conflict.invalidMergeModule`), conflicts stay `unfinished` on the stream until it is fixed.
   * @default the built-in merges
   */
  readonly merge?: MergeFunction | Promise<MergeFunction>;
  /** Read-merge-write attempts per conflict before it is dead-lettered. @default 5 */
  readonly maxAttempts?: number;
  /** The source region (for the audit). */
  readonly sourceRegion: string;
  /** Called once per detected conflict, with its outcome; awaited (the audit sink). */
  readonly onConflict?: (entry: ConflictAuditEntry) => void | Promise<void>;
  /**
   * The key hasher of conflict entries (called on each conflict; memoize it).
   * @default a key of this process only (hashes not comparable across runs)
   */
  readonly keyHasher?: () => KeyHasher | Promise<KeyHasher>;
}

/** The conditional put of the merge strategy (defined in `buildMergePutInput.ts`). */
export { buildMergePutInput } from './buildMergePutInput.js';

/**
 * The writer of the merge strategy: vector clocks decide, and concurrent writes are merged at the
 * target with optimistic concurrency.
 *
 * ```
 * 1. put incoming   IF stored clock = clock of the source's old image    (no read: the usual case)
 *    └ condition failed: the peer holds something else ─┐
 * 2. read stored (consistent) ◄──────────────────────────┘◄──────────────┐
 *    incoming after stored → put incoming  IF stored clock unchanged    │ lost the race:
 *    incoming ≤ stored     → stale                                      │ retry (≤ maxAttempts)
 *    concurrent            → merge, put merged IF stored clock unchanged ┘
 * ```
 *
 * A merge that throws, or keeps losing races, is `permanent`: dead-lettered whole with the stored item.
 * Transient errors are retried with backoff until the deadline (then `unfinished`), as in LWW.
 */
export class MergePeerWriter extends PeerWriterBase {
  private readonly mergeOptions: MergePeerWriterOptions;
  private readonly keyHasher: () => KeyHasher | Promise<KeyHasher>;

  public constructor(options: MergePeerWriterOptions) {
    super(options);
    this.mergeOptions = options;
    const own = processKeyHasher();
    this.keyHasher = options.keyHasher ?? (() => own);
  }

  public override async send(
    write: PlannedWrite,
    deadlineMs: number,
    deadlineSignal?: AbortSignal,
  ): Promise<PeerWriteResult> {
    const options = this.mergeOptions;
    const now = options.now ?? Date.now;
    const target = options.peers[write.peer];
    if (target === undefined) throw new Error(`MergePeerWriter: no client for peer region "${write.peer}"`);
    const { names } = options;
    const tooLarge = oversizeResult(write, now());
    if (tooLarge !== undefined) return tooLarge;
    const send = new MergeSend({ write, target, names, deadlineMs, deadlineSignal, now, retry: options });
    try {
      const incomingClock = readMergeMetadata(write.change.item, names).clock;
      // 1. The usual case: the peer holds what the source held before this write.
      if (await send.putUnlessRaced(write.change.item, expectationOf(write.change.record.oldImage, names)))
        return send.result(WriteOutcomes.applied);
      // 2. Read, decide, write conditionally; retry lost races.
      return await this.readMergeWrite(send, write, incomingClock);
    } catch (error) {
      return thrownResult(send, write, error);
    }
  }

  /** Step 2 of {@link MergePeerWriter.send}: read-decide-write rounds until one wins or `maxAttempts` lose. */
  private async readMergeWrite(
    send: MergeSend,
    write: PlannedWrite,
    incomingClock: VectorClock,
  ): Promise<PeerWriteResult> {
    const { names } = this.mergeOptions;
    const maxAttempts = this.mergeOptions.maxAttempts ?? 5;
    for (let round = 1; round <= maxAttempts; round += 1) {
      const stored = await send.read();
      const decision = decideMerge(
        incomingClock,
        stored === undefined ? undefined : readMergeMetadata(stored, names).clock,
      );
      if (decision === MergeDecisions.stale) return send.result(WriteOutcomes.stale);
      if (decision === MergeDecisions.merge && stored !== undefined) {
        const merged = await this.mergeRound(send, write, stored, round);
        if (merged !== undefined) return merged;
      } else if (await send.putUnlessRaced(write.change.item, expectationOf(stored, names))) {
        return send.result(WriteOutcomes.applied);
      } else {
        send.attempts += 1;
      }
    }
    const conflict =
      send.stored === undefined
        ? undefined
        : await this.report(write, ConflictOutcomes.contended, send.stored, undefined, maxAttempts);
    const at = send.failedAt();
    return send.result(WriteOutcomes.permanent, {
      error: contendedError(write, maxAttempts),
      lastFailureAt: at,
      ...send.withConflict(conflict),
    });
  }

  /** One round's merge of concurrent writes; `undefined` when its put lost the race (try another round). */
  private async mergeRound(
    send: MergeSend,
    write: PlannedWrite,
    local: Item,
    round: number,
  ): Promise<PeerWriteResult | undefined> {
    const { names } = this.mergeOptions;
    let merged: Item;
    try {
      merged = await this.merged(local, write.change.item, write.change.keys, write.peer);
    } catch (cause) {
      return this.mergeFailure(send, write, local, round, cause);
    }
    const item = { ...merged, [names.replicated]: { BOOL: true } };
    if (!(await send.putUnlessRaced(item, expectationOf(local, names)))) {
      send.attempts += 1;
      return undefined;
    }
    const conflict = await this.report(write, ConflictOutcomes.merged, local, item, round);
    return send.result(WriteOutcomes.applied, { conflict });
  }

  /** The result of a merge that threw: `unfinished` if the merge module cannot load, else `permanent`. */
  private async mergeFailure(
    send: MergeSend,
    write: PlannedWrite,
    local: Item,
    round: number,
    cause: unknown,
  ): Promise<PeerWriteResult> {
    // A merge module that cannot be loaded is an outage of the deployment, not of this record:
    // hold the stream (unfinished) instead of dead-lettering every conflict until it is fixed.
    if (cause instanceof DynasyncError && cause.code === ErrorCodes.conflict.invalidMergeModule) {
      send.failedAt();
      const conflict = await this.report(write, ConflictOutcomes.unfinished, local, undefined, round);
      return send.result(WriteOutcomes.unfinished, { error: cause, conflict });
    }
    const conflict = await this.report(write, ConflictOutcomes.mergeFailed, local, undefined, round);
    const error = mergeFailedWriteError(write, cause);
    const at = send.failedAt();
    return send.result(WriteOutcomes.permanent, {
      error,
      firstFailureAt: send.firstFailure ?? at,
      lastFailureAt: at,
      conflict,
      storedItem: local,
    });
  }

  /** Builds a conflict's audit entry and hands it to `onConflict` (awaited). */
  private async report(
    write: PlannedWrite,
    outcome: ConflictOutcome,
    local: Item,
    merged: Item | undefined,
    attempts: number,
  ): Promise<ConflictAuditEntry> {
    const options = this.mergeOptions;
    const { names } = options;
    const localMeta = readMergeMetadata(local, names);
    const remoteMeta = readMergeMetadata(write.change.item, names);
    const at = new Date((options.now ?? Date.now)());
    const keyHash = (await this.keyHasher())(write.change.keyId);
    const entry = conflictEntry({
      at,
      keyHash,
      sourceRegion: options.sourceRegion,
      targetRegion: write.peer,
      outcome,
      local,
      localMeta,
      remoteMeta,
      merged,
      attempts,
      names,
    });
    await options.onConflict?.(entry);
    return entry;
  }

  private async merged(local: Item, remote: Item, keys: Item, region: string): Promise<Item> {
    const { merge, spec, names } = this.mergeOptions;
    if (merge === undefined) return mergeItems(local, remote, spec, names);
    return mergeWithUserFunction(local, remote, await merge, names, { keys, region });
  }
}

/** The result of a send that threw: out of time → `unfinished`; any other error → `permanent`. */
const thrownResult = (send: MergeSend, write: PlannedWrite, error: unknown): PeerWriteResult => {
  if (error instanceof OutOfTime)
    return send.result(WriteOutcomes.unfinished, { error: outOfTimeError(write, error.lastError) });
  if (error instanceof DynasyncError)
    return send.result(WriteOutcomes.permanent, { error, ...send.withConflict(undefined) });
  return send.result(WriteOutcomes.permanent, { error: rejectedError(write, error) });
};
