import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  type Shard,
  type StreamDescription,
} from '@aws-sdk/client-dynamodb-streams';
import { linkedAbort } from '../../../core/async/linkedAbort.js';
import { sleep } from '../../../core/async/sleep.js';
import { errorMessage } from '../../../core/errorMessage.js';
import { errorName } from '../../../core/errorName.js';
import { DynasyncError, ErrorCodes, isDynasyncError } from '../../../core/errors.js';
import type { ReplicatorLogger } from '../../processBatch.js';
import { StreamErrors } from './awsErrors.js';
import type { ShardPositions } from './ShardPositions.js';
import type { StreamCalls } from './StreamCalls.js';
import { shardsDue } from './shardsDue.js';

/** Options of {@link ShardDiscovery}. */
export interface ShardDiscoveryOptions {
  readonly streamArn: string;
  readonly region: string;
  readonly table: string;
  readonly streamsClient: DynamoDBStreamsClient;
  readonly calls: StreamCalls;
  readonly positions: ShardPositions;
  readonly logger: ReplicatorLogger;
  /** Aborts the waits of the discovery loop when the poller stops. */
  readonly signal: AbortSignal;
  /** Whether a shard is being read right now (its position is kept even when the stream no longer lists it). */
  readonly isActive: (shardId: string) => boolean;
  /** @default 10000 */
  readonly intervalMs?: number;
}

/**
 * The shards of one stream and their lineage: lists them (`DescribeStream`, every page), forgets
 * finished shards the stream no longer has, says which shards are due (parents before children),
 * and re-discovers every `intervalMs`, or sooner when a shard finished (its children are due).
 */
export class ShardDiscovery {
  private shards = new Map<string, Shard>();
  private disabledWarned = false;
  private requested = false;
  private wake: (() => void) | undefined;

  public constructor(private readonly options: ShardDiscoveryOptions) {}

  /** The ids of the shards the last discovery listed, in listing order. */
  public get shardIds(): IterableIterator<string> {
    return this.shards.keys();
  }

  public get size(): number {
    return this.shards.size;
  }

  public has(shardId: string): boolean {
    return this.shards.has(shardId);
  }

  /** The shards to start reading now (see {@link shardsDue}). */
  public due(): string[] {
    const { positions, isActive } = this.options;
    return shardsDue(this.shards, (shardId) => positions.isFinished(shardId), isActive);
  }

  /**
   * Lists every shard of the stream (all pages) and forgets finished shards the stream no longer has.
   * @throws DynasyncError `poller.streamGone`; or the error of a failed AWS call.
   */
  public async refresh(): Promise<void> {
    const { streamArn, positions, logger, region } = this.options;
    const { shards, status } = await this.listShards();
    this.shards = shards;

    for (const [shardId, state] of positions.entries()) {
      if (shards.has(shardId) || this.options.isActive(shardId)) continue;
      if (!state.finished) {
        logger.warn('a shard left the stream before it was finished (trimmed after 24 h)', {
          code: ErrorCodes.poller.dataTrimmed,
          region,
          shardId,
          sequenceNumber: state.sequenceNumber,
        });
      }
      positions.forget(shardId);
    }
    if (
      status === 'DISABLED' &&
      !this.disabledWarned &&
      [...shards.keys()].every((id) => positions.isFinished(id))
    ) {
      this.disabledWarned = true;
      logger.warn(
        'the stream is disabled and fully read; restart dynasync run once a new stream is enabled',
        {
          region,
          streamArn,
        },
      );
    }
  }

  private async listShards(): Promise<{ shards: Map<string, Shard>; status: string | undefined }> {
    const { streamArn, region, table, calls, streamsClient } = this.options;
    const shards = new Map<string, Shard>();
    let status: string | undefined;
    let exclusiveStartShardId: string | undefined;
    do {
      let description: StreamDescription | undefined;
      try {
        const input = {
          StreamArn: streamArn,
          ...(exclusiveStartShardId === undefined ? {} : { ExclusiveStartShardId: exclusiveStartShardId }),
        };
        ({ StreamDescription: description } = await calls.callRetrying((abortSignal) =>
          streamsClient.send(new DescribeStreamCommand(input), { abortSignal }),
        ));
      } catch (error) {
        if (errorName(error) !== StreamErrors.notFound) throw error;
        throw new DynasyncError(
          ErrorCodes.poller.streamGone,
          `the stream ${streamArn} of table "${table}" in ${region} no longer exists ` +
            '(the table was deleted, or its stream disabled more than 24 hours ago); enable a NEW_AND_OLD_IMAGES stream and restart dynasync run: it starts fresh on the new stream',
          { payload: { region, streamArn }, cause: error },
        );
      }
      status = description?.StreamStatus;
      for (const shard of description?.Shards ?? [])
        if (shard.ShardId !== undefined) shards.set(shard.ShardId, shard);
      exclusiveStartShardId = description?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
    return { shards, status };
  }

  /**
   * Re-discovers shards while `isRunning()`, calling `onRefreshed` after each discovery; a vanished
   * stream (`poller.streamGone`) goes to `onFatal` and ends the loop, other failures are retried.
   */
  public async run(
    isRunning: () => boolean,
    onRefreshed: () => void,
    onFatal: (error: unknown) => void,
  ): Promise<void> {
    const intervalMs = this.options.intervalMs ?? 10_000;
    let failures = 0;
    while (isRunning()) {
      await this.waitForTurn(
        failures === 0 ? intervalMs : Math.max(intervalMs, this.options.calls.retryDelay(failures)),
      );
      if (!isRunning()) return;
      try {
        await this.refresh();
        failures = 0;
        onRefreshed();
      } catch (error) {
        if (!isRunning()) return;
        if (isDynasyncError(error, ErrorCodes.poller.streamGone)) {
          onFatal(error);
          return;
        }
        failures += 1;
        this.options.logger.warn('shard discovery failed; retrying', {
          region: this.options.region,
          awsError: errorName(error),
          error: errorMessage(error),
          attempt: failures,
        });
      }
    }
  }

  /** Asks for a discovery soon (a shard finished: its children are due). */
  public request(): void {
    this.requested = true;
    this.wake?.();
  }

  private async waitForTurn(ms: number): Promise<void> {
    // At least a short pause between calls, however many shards finish at once.
    await sleep(Math.min(ms, 500), this.options.signal);
    if (this.requested) {
      this.requested = false;
      return;
    }
    const wake = linkedAbort(this.options.signal);
    this.wake = wake.abort;
    await sleep(Math.max(0, ms - 500), wake.signal);
    wake.dispose();
    this.wake = undefined;
    this.requested = false;
  }
}
