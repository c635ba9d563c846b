import { GetItemCommand, PutItemCommand, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { readMergeMetadata, userAttributes } from '../../conflict/merge/itemState.js';
import { decideMerge, mergeItems } from '../../conflict/merge/mergeItems.js';
import {
  MergeDecisions,
  type MergeFunction,
  type MergeNames,
  type MergeSpec,
} from '../../conflict/merge/types.js';
import { mergeWithUserFunction } from '../../conflict/merge/userMerge.js';
import { sleep } from '../../core/async/sleep.js';
import { decodeItem } from '../../core/codec.js';
import { differingAttributes } from '../../core/equality.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { Item } from '../../core/types.js';
import { type KeyHasher, processKeyHasher } from '../../keys/keyHasher.js';
import { backoffDelay, classifyError, ErrorClasses } from '../classifyError.js';
import { oversizeResult, type PeerWriterOptions } from '../PeerWriter.js';
import { PeerWriterBase } from '../PeerWriterBase.js';
import type { MergeOutcome, PeerWriteResult } from '../PeerWrites.js';
import { type PlannedWrite, WriteOutcomes, type WriteResult } from '../types.js';
import {
  type ConflictAuditEntry,
  type ConflictOutcome,
  ConflictOutcomes,
  conflictAuditEntry,
} from './conflictAudit.js';

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

/** What a merge write's result is built from: the LWW fields, and the conflict's (its `merge` member). */
type ResultParts = Partial<Omit<WriteResult, 'write' | 'outcome'>> & MergeOutcome;

type Expectation = { readonly clock: string | undefined; readonly version: string | undefined } | 'absent';

const expectationOf = (item: Item | undefined, names: MergeNames): Expectation => {
  if (item === undefined) return 'absent';
  const clock = item[names.clock];
  const version = item[names.version];
  return {
    clock: clock !== undefined && 'S' in clock ? clock.S : undefined,
    version: version !== undefined && 'S' in version ? version.S : undefined,
  };
};

/**
 * The conditional put of the merge strategy: written only if the stored item is still the one the
 * decision was made on (same vector clock; an item without one: same version, or no item).
 */
export const buildMergePutInput = (
  tableName: string,
  item: Item,
  expected: Expectation,
  names: MergeNames,
): PutItemCommandInput => {
  const base = { TableName: tableName, Item: item as PutItemCommandInput['Item'] };
  if (expected === 'absent')
    return {
      ...base,
      ConditionExpression: 'attribute_not_exists(#vc) AND attribute_not_exists(#v)',
      ExpressionAttributeNames: { '#vc': names.clock, '#v': names.version },
    };
  if (expected.clock !== undefined)
    return {
      ...base,
      ConditionExpression: '#vc = :vc',
      ExpressionAttributeNames: { '#vc': names.clock },
      ExpressionAttributeValues: { ':vc': { S: expected.clock } },
    };
  if (expected.version !== undefined)
    return {
      ...base,
      ConditionExpression: 'attribute_not_exists(#vc) AND #v = :v',
      ExpressionAttributeNames: { '#vc': names.clock, '#v': names.version },
      ExpressionAttributeValues: { ':v': { S: expected.version } },
    };
  return {
    ...base,
    ConditionExpression: 'attribute_not_exists(#vc) AND attribute_not_exists(#v)',
    ExpressionAttributeNames: { '#vc': names.clock, '#v': names.version },
  };
};

class LostRace extends Error {}
class OutOfTime extends Error {
  public constructor(public readonly lastError: unknown) {
    super('out of time');
  }
}

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
    const { change } = write;
    // Attempts as LWW counts them: 1, plus one per transient retry and per lost race.
    let attempts = 1;
    let firstFailureAt: string | undefined;
    let lastFailureAt: string | undefined;
    const failedAt = () => {
      lastFailureAt = new Date(now()).toISOString();
      firstFailureAt ??= lastFailureAt;
      return lastFailureAt;
    };
    const tooLarge = oversizeResult(write, now());
    if (tooLarge !== undefined) return tooLarge;

    const call = async <T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
      for (let retry = 0; ; retry += 1) {
        const remaining = deadlineMs - now();
        if (remaining <= 0) throw new OutOfTime(undefined);
        try {
          return await run(deadlineSignal ?? AbortSignal.timeout(remaining));
        } catch (error) {
          const kind = classifyError(error);
          if (kind === ErrorClasses.stale) throw new LostRace();
          failedAt();
          if (kind === ErrorClasses.permanent) throw error;
          const delay = backoffDelay(
            retry,
            options.baseDelayMs ?? 25,
            options.maxDelayMs ?? 2_000,
            options.random ?? Math.random,
          );
          if (now() + delay >= deadlineMs) throw new OutOfTime(error);
          attempts += 1;
          options.onRetry?.(write, error);
          await (options.sleep ?? sleep)(delay);
        }
      }
    };
    const put = (item: Item, expected: Expectation) =>
      call((abortSignal) =>
        target.client.send(new PutItemCommand(buildMergePutInput(target.tableName, item, expected, names)), {
          abortSignal,
        }),
      );

    const result = (outcome: WriteResult['outcome'], parts: ResultParts = {}): PeerWriteResult => {
      const { conflict: found, storedItem, ...extra } = parts;
      const merge: MergeOutcome = {
        ...(found === undefined ? {} : { conflict: found }),
        ...(storedItem === undefined ? {} : { storedItem }),
      };
      return {
        write,
        outcome,
        attempts,
        ...(firstFailureAt === undefined ? {} : { firstFailureAt, lastFailureAt }),
        ...extra,
        ...(found === undefined && storedItem === undefined ? {} : { merge }),
      };
    };
    const incoming = change.item;
    let conflict: ConflictAuditEntry | undefined;
    let stored: Item | undefined;
    const report = async (
      outcome: ConflictOutcome,
      local: Item,
      merged: Item | undefined,
      conflictAttempts: number,
    ): Promise<ConflictAuditEntry> => {
      const localMeta = readMergeMetadata(local, names);
      const remoteMeta = readMergeMetadata(incoming, names);
      const entry = conflictAuditEntry({
        at: new Date(now()),
        keyHash: (await this.keyHasher())(change.keyId),
        sourceRegion: options.sourceRegion,
        targetRegion: write.peer,
        localClock: localMeta.clock,
        remoteClock: remoteMeta.clock,
        ...(merged === undefined ? {} : { mergedClock: readMergeMetadata(merged, names).clock }),
        localVersion: localMeta.version,
        remoteVersion: remoteMeta.version,
        outcome,
        attempts: conflictAttempts,
        changedAttributes:
          merged === undefined
            ? []
            : differingAttributes(userAttributes(local, names), userAttributes(merged, names)),
      });
      await options.onConflict?.(entry);
      return entry;
    };

    try {
      const incomingClock = readMergeMetadata(incoming, names).clock;
      // 1. The usual case: the peer holds what the source held before this write.
      try {
        await put(incoming, expectationOf(change.record.oldImage, names));
        return result(WriteOutcomes.applied);
      } catch (error) {
        if (!(error instanceof LostRace)) throw error;
      }
      // 2. Read, decide, write conditionally; retry lost races.
      const maxAttempts = options.maxAttempts ?? 5;
      for (let round = 1; round <= maxAttempts; round += 1) {
        const output = await call((abortSignal) =>
          target.client.send(
            new GetItemCommand({
              TableName: target.tableName,
              Key: change.keys as never,
              ConsistentRead: true,
            }),
            { abortSignal },
          ),
        );
        stored = output.Item === undefined ? undefined : decodeItem(output.Item);
        const decision = decideMerge(
          incomingClock,
          stored === undefined ? undefined : readMergeMetadata(stored, names).clock,
        );
        if (decision === MergeDecisions.stale) return result(WriteOutcomes.stale);
        let item = incoming;
        if (decision === MergeDecisions.merge) {
          const local = stored!;
          let merged: Item;
          try {
            merged = await this.merged(local, incoming, change.keys, write.peer);
          } catch (cause) {
            // A merge module that cannot be loaded is an outage of the deployment, not of this record:
            // hold the stream (unfinished) instead of dead-lettering every conflict until it is fixed.
            if (cause instanceof DynasyncError && cause.code === ErrorCodes.conflict.invalidMergeModule) {
              failedAt();
              conflict = await report(ConflictOutcomes.unfinished, local, undefined, round);
              return result(WriteOutcomes.unfinished, { error: cause, conflict });
            }
            conflict = await report(ConflictOutcomes.mergeFailed, local, undefined, round);
            const error =
              cause instanceof DynasyncError && cause.code === ErrorCodes.conflict.mergeFailed
                ? cause
                : new DynasyncError(
                    ErrorCodes.conflict.mergeFailed,
                    'the merge failed; both versions go to the dead-letter sink',
                    { cause },
                  );
            const at = failedAt();
            return result(WriteOutcomes.permanent, {
              error: new DynasyncError(
                error.code,
                `record sequence ${change.record.sequenceNumber}: ${error.message} (peer ${write.peer})`,
                { payload: { sequenceNumber: change.record.sequenceNumber, peer: write.peer }, cause },
              ),
              firstFailureAt: firstFailureAt ?? at,
              lastFailureAt: at,
              conflict,
              storedItem: local,
            });
          }
          item = { ...merged, [names.replicated]: { BOOL: true } };
          try {
            await put(item, expectationOf(local, names));
          } catch (error) {
            if (error instanceof LostRace) {
              attempts += 1;
              continue;
            }
            throw error;
          }
          conflict = await report(ConflictOutcomes.merged, local, item, round);
          return result(WriteOutcomes.applied, { conflict });
        }
        try {
          await put(item, expectationOf(stored, names));
          return result(WriteOutcomes.applied);
        } catch (error) {
          if (error instanceof LostRace) {
            attempts += 1;
            continue;
          }
          throw error;
        }
      }
      if (stored !== undefined)
        conflict = await report(ConflictOutcomes.contended, stored, undefined, maxAttempts);
      const at = failedAt();
      return result(WriteOutcomes.permanent, {
        error: new DynasyncError(
          ErrorCodes.conflict.mergeContended,
          `record sequence ${change.record.sequenceNumber}: peer ${write.peer} kept changing during ${maxAttempts} read-merge-write attempts; raise conflict.maxAttempts or redrive later`,
          {
            payload: {
              sequenceNumber: change.record.sequenceNumber,
              peer: write.peer,
              attempts: maxAttempts,
            },
          },
        ),
        lastFailureAt: at,
        ...(conflict === undefined ? {} : { conflict }),
        ...(stored === undefined ? {} : { storedItem: stored }),
      });
    } catch (error) {
      if (error instanceof OutOfTime)
        return result(WriteOutcomes.unfinished, {
          error: new DynasyncError(
            ErrorCodes.replicator.writeRejected,
            `record sequence ${change.record.sequenceNumber}: peer ${write.peer} not reached before the time budget ran out`,
            {
              payload: { sequenceNumber: change.record.sequenceNumber, peer: write.peer },
              cause: error.lastError,
            },
          ),
        });
      if (error instanceof DynasyncError)
        return result(WriteOutcomes.permanent, {
          error,
          ...(stored === undefined ? {} : { storedItem: stored }),
        });
      const name = error instanceof Error ? error.name : 'Error';
      return result(WriteOutcomes.permanent, {
        error: new DynasyncError(
          ErrorCodes.replicator.writeRejected,
          `record sequence ${change.record.sequenceNumber}: peer ${write.peer} rejected the write (${name})`,
          {
            payload: { sequenceNumber: change.record.sequenceNumber, peer: write.peer, awsError: name },
            cause: error,
          },
        ),
      });
    }
  }

  private async merged(local: Item, remote: Item, keys: Item, region: string): Promise<Item> {
    const { merge, spec, names } = this.mergeOptions;
    if (merge === undefined) return mergeItems(local, remote, spec, names);
    return mergeWithUserFunction(local, remote, await merge, names, { keys, region });
  }
}
