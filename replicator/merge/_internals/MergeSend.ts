import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { MergeNames } from '../../../conflict/merge/types.js';
import { sleep } from '../../../core/async/sleep.js';
import { decodeItem } from '../../../core/codec.js';
import type { Item } from '../../../core/types.js';
import { backoffDelay, classifyError, ErrorClasses } from '../../classifyError.js';
import type { PeerTarget, PeerWriterOptions } from '../../PeerWriter.js';
import type { MergeOutcome, PeerWriteResult } from '../../PeerWrites.js';
import type { PlannedWrite, WriteResult } from '../../types.js';
import { buildMergePutInput } from '../buildMergePutInput.js';
import type { ConflictAuditEntry } from '../conflictAudit.js';
import type { Expectation } from './expectation.js';
import { LostRace, OutOfTime } from './sendSignals.js';

/** What a merge write's result is built from: the LWW fields, and the conflict's (its `merge` member). */
export type ResultParts = Partial<Omit<WriteResult, 'write' | 'outcome'>> & MergeOutcome;

/** What one {@link MergeSend} works with: the write, its peer, its deadline and the retry settings. */
export interface MergeSendContext {
  readonly write: PlannedWrite;
  readonly target: PeerTarget;
  readonly names: MergeNames;
  readonly deadlineMs: number;
  readonly deadlineSignal: AbortSignal | undefined;
  readonly now: () => number;
  readonly retry: Pick<PeerWriterOptions, 'baseDelayMs' | 'maxDelayMs' | 'random' | 'sleep' | 'onRetry'>;
}

/**
 * The state of one merge write while it is sent: its attempts (as LWW counts them: 1, plus one per
 * transient retry and per lost race), the times of its first and last failure, and the item last read
 * at the peer. Its calls retry transient errors with backoff until the deadline; a lost race
 * (condition failed) throws {@link LostRace}, running out of time {@link OutOfTime}.
 */
export class MergeSend {
  public attempts = 1;
  /** The item last read at the peer (`undefined`: none read yet, or none stored). */
  public stored: Item | undefined;
  private firstFailureAt: string | undefined;
  private lastFailureAt: string | undefined;

  public constructor(private readonly context: MergeSendContext) {}

  /** When the first failure was noted (ISO), if any was. */
  public get firstFailure(): string | undefined {
    return this.firstFailureAt;
  }

  /** Notes a failure now; returns its time (ISO). */
  public failedAt(): string {
    this.lastFailureAt = new Date(this.context.now()).toISOString();
    this.firstFailureAt ??= this.lastFailureAt;
    return this.lastFailureAt;
  }

  /** Runs `run` under the deadline, retrying transient errors with backoff. */
  public async call<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { now, deadlineMs, deadlineSignal, retry: options } = this.context;
    for (let retry = 0; ; retry += 1) {
      const remaining = deadlineMs - now();
      if (remaining <= 0) throw new OutOfTime(undefined);
      try {
        return await run(deadlineSignal ?? AbortSignal.timeout(remaining));
      } catch (error) {
        const kind = classifyError(error);
        if (kind === ErrorClasses.stale) throw new LostRace();
        this.failedAt();
        if (kind === ErrorClasses.permanent) throw error;
        const delay = backoffDelay(
          retry,
          options.baseDelayMs ?? 25,
          options.maxDelayMs ?? 2_000,
          options.random ?? Math.random,
        );
        if (now() + delay >= deadlineMs) throw new OutOfTime(error);
        this.attempts += 1;
        options.onRetry?.(this.context.write, error);
        await (options.sleep ?? sleep)(delay);
      }
    }
  }

  /** Puts `item` if the peer still holds what `expected` says; `false` when it lost the race. */
  public async putUnlessRaced(item: Item, expected: Expectation): Promise<boolean> {
    const { target, names } = this.context;
    try {
      await this.call((abortSignal) =>
        target.client.send(new PutItemCommand(buildMergePutInput(target.tableName, item, expected, names)), {
          abortSignal,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof LostRace) return false;
      throw error;
    }
  }

  /** Reads the item stored at the peer (consistently) into {@link MergeSend.stored}. */
  public async read(): Promise<Item | undefined> {
    const { target, write } = this.context;
    const output = await this.call((abortSignal) =>
      target.client.send(
        new GetItemCommand({
          TableName: target.tableName,
          Key: write.change.keys as never,
          ConsistentRead: true,
        }),
        { abortSignal },
      ),
    );
    this.stored = output.Item === undefined ? undefined : decodeItem(output.Item);
    return this.stored;
  }

  /** The write's result: its outcome, attempts and failure times, and what the merge found. */
  public result(outcome: WriteResult['outcome'], parts: ResultParts = {}): PeerWriteResult {
    const { conflict, storedItem, ...extra } = parts;
    const { firstFailureAt, lastFailureAt } = this;
    const merge: MergeOutcome = {
      ...(conflict === undefined ? {} : { conflict }),
      ...(storedItem === undefined ? {} : { storedItem }),
    };
    return {
      write: this.context.write,
      outcome,
      attempts: this.attempts,
      ...(firstFailureAt === undefined ? {} : { firstFailureAt, lastFailureAt }),
      ...extra,
      ...(conflict === undefined && storedItem === undefined ? {} : { merge }),
    };
  }

  /** The parts of a result that carry `conflict` (when given) and the stored item (when one was read). */
  public withConflict(conflict: ConflictAuditEntry | undefined): ResultParts {
    return {
      ...(conflict === undefined ? {} : { conflict }),
      ...(this.stored === undefined ? {} : { storedItem: this.stored }),
    };
  }
}
