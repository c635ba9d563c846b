import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { sleep } from '../core/async/sleep.js';
import type { MetadataNames } from '../core/config/topology.js';
import { errorMessage } from '../core/errorMessage.js';
import { errorName } from '../core/errorName.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import { itemSize, MAX_ITEM_BYTES } from '../core/itemSize.js';
import { buildPutInput } from './buildPutInput.js';
import { backoffDelay, classifyError, ErrorClasses } from './classifyError.js';
import { PeerWriterBase } from './PeerWriterBase.js';
import type { PeerWriteResult } from './PeerWrites.js';
import { type PlannedWrite, WriteOutcomes, type WriteResult } from './types.js';

/** A peer region the writer can write to. */
export interface PeerTarget {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/** Options of {@link PeerWriter}. */
export interface PeerWriterOptions {
  readonly peers: Readonly<Record<string, PeerTarget>>;
  readonly names: MetadataNames;
  /** Writes in flight at once, across peers. @default 32 */
  readonly concurrency?: number;
  /** First retry delay, ms. @default 25 */
  readonly baseDelayMs?: number;
  /** Longest retry delay, ms. @default 2000 */
  readonly maxDelayMs?: number;
  /** Called after each failed attempt that will be retried (for metrics). */
  readonly onRetry?: (write: PlannedWrite, error: unknown) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** Room left for what replication adds to an item (metadata attributes are ~100 bytes). */
const SIZE_MARGIN_BYTES = 16 * 1024;

/**
 * The error of a write whose item, with replication metadata, exceeds DynamoDB's 400 KB limit;
 * `undefined` when it fits. Checked before sending: such a write can never succeed.
 */
export const oversizeError = (write: PlannedWrite): DynasyncError | undefined => {
  // The stream record's own size (both images) bounds the new image: far below the limit, skip the walk.
  const recordBytes = write.change.record.sizeBytes;
  if (recordBytes !== undefined && recordBytes + SIZE_MARGIN_BYTES < MAX_ITEM_BYTES) return undefined;
  const size = itemSize(write.change.item);
  if (size <= MAX_ITEM_BYTES) return undefined;
  return new DynasyncError(
    ErrorCodes.replicator.itemTooLarge,
    `record sequence ${write.change.record.sequenceNumber}: item is ${size} bytes with replication metadata; DynamoDB's limit is ${MAX_ITEM_BYTES}. Shrink the item or drop attributes for this peer`,
    { payload: { sequenceNumber: write.change.record.sequenceNumber, peer: write.peer, size } },
  );
};

/**
 * The result of a write whose item is too large ({@link oversizeError}): permanent, never sent
 * (attempts 0); `undefined` when it fits.
 */
export const oversizeResult = (write: PlannedWrite, nowMs: number): WriteResult | undefined => {
  const error = oversizeError(write);
  if (error === undefined) return undefined;
  const at = new Date(nowMs).toISOString();
  return {
    write,
    outcome: WriteOutcomes.permanent,
    attempts: 0,
    error,
    firstFailureAt: at,
    lastFailureAt: at,
  };
};

/**
 * Sends planned writes to peer tables with conditional puts: bounded concurrency, one write per key
 * and peer, retries of transient failures with exponential backoff and full jitter until the deadline.
 * Every write ends as `applied`, `stale`, `permanent` (with the error) or `unfinished`.
 */
export class PeerWriter extends PeerWriterBase {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  public constructor(private readonly options: PeerWriterOptions) {
    super(options);
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /** Sends one write, retrying transient failures until `deadlineMs` (epoch ms). */
  public override async send(
    write: PlannedWrite,
    deadlineMs: number,
    deadlineSignal?: AbortSignal,
  ): Promise<PeerWriteResult> {
    const target = this.options.peers[write.peer];
    if (target === undefined) throw new Error(`PeerWriter: no client for peer region "${write.peer}"`);
    const tooLarge = oversizeResult(write, this.now());
    if (tooLarge !== undefined) return tooLarge;
    const input = buildPutInput(target.tableName, write.change, this.options.names);
    let firstFailureAt: string | undefined;
    let lastFailureAt: string | undefined;
    let lastError: unknown;
    let attempts = 0;
    for (let attempt = 0; ; attempt += 1) {
      const remaining = deadlineMs - this.now();
      if (remaining <= 0) break;
      attempts = attempt + 1;
      try {
        await target.client.send(new PutItemCommand(input), {
          abortSignal: deadlineSignal ?? AbortSignal.timeout(remaining),
        });
        return {
          write,
          outcome: WriteOutcomes.applied,
          attempts: attempt + 1,
          firstFailureAt,
          lastFailureAt,
        };
      } catch (error) {
        const kind = classifyError(error);
        if (kind === ErrorClasses.stale)
          return {
            write,
            outcome: WriteOutcomes.stale,
            attempts: attempt + 1,
            firstFailureAt,
            lastFailureAt,
          };
        lastFailureAt = new Date(this.now()).toISOString();
        firstFailureAt ??= lastFailureAt;
        lastError = error;
        if (kind === ErrorClasses.permanent) {
          const tooLarge = /size/i.test(errorMessage(error)) && /exceed/i.test(errorMessage(error));
          return {
            write,
            outcome: WriteOutcomes.permanent,
            attempts: attempt + 1,
            error: new DynasyncError(
              tooLarge ? ErrorCodes.replicator.itemTooLarge : ErrorCodes.replicator.writeRejected,
              `record sequence ${write.change.record.sequenceNumber}: peer ${write.peer} rejected the write (${errorName(error)}: ${errorMessage(error)})`,
              {
                payload: {
                  sequenceNumber: write.change.record.sequenceNumber,
                  peer: write.peer,
                  awsError: errorName(error),
                },
                cause: error,
              },
            ),
            firstFailureAt,
            lastFailureAt,
          };
        }
        const delay = backoffDelay(
          attempt,
          this.options.baseDelayMs ?? 25,
          this.options.maxDelayMs ?? 2_000,
          this.random,
        );
        if (this.now() + delay >= deadlineMs) break;
        this.options.onRetry?.(write, error);
        await this.sleep(delay);
      }
    }
    return {
      write,
      outcome: WriteOutcomes.unfinished,
      attempts,
      error: new DynasyncError(
        ErrorCodes.replicator.writeRejected,
        `record sequence ${write.change.record.sequenceNumber}: peer ${write.peer} not reached before the time budget ran out (${errorName(lastError)})`,
        {
          payload: { sequenceNumber: write.change.record.sequenceNumber, peer: write.peer },
          cause: lastError,
        },
      ),
      firstFailureAt,
      lastFailureAt,
    };
  }
}
