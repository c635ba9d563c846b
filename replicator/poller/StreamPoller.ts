import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { sleep } from '../../core/async/sleep.js';
import type { Config } from '../../core/config/types.js';
import { errorMessage } from '../../core/errorMessage.js';
import { ErrorCodes, isDynasyncError } from '../../core/errors.js';
import type { Replicator } from '../createReplicator.js';
import type { ReplicatorLogger } from '../processBatch.js';
import type { BatchResult } from '../types.js';
import { BatchStats } from './_internals/BatchStats.js';
import { CheckpointWriter } from './_internals/CheckpointWriter.js';
import { findStreamArn } from './_internals/findStreamArn.js';
import { ShardDiscovery } from './_internals/ShardDiscovery.js';
import { ShardPositions } from './_internals/ShardPositions.js';
import { ShardReader, type ShardReaderContext } from './_internals/ShardReader.js';
import { StreamCalls } from './_internals/StreamCalls.js';
import type { CheckpointStore } from './CheckpointStore.js';

/** Options of {@link StreamPoller}. */
export interface StreamPollerProps {
  readonly config: Config;
  /** The region whose table stream is read. */
  readonly region: string;
  /** The replicator of that region (see `createReplicator`). */
  readonly replicator: Replicator;
  /** A DynamoDB Streams client for the region (see `createStreamsClient`). */
  readonly streamsClient: DynamoDBStreamsClient;
  /** A DynamoDB client for the region, to find the table's current stream. */
  readonly dynamoClient: DynamoDBClient;
  /** Where read positions are kept (see `FileCheckpointStore`). */
  readonly checkpoints: CheckpointStore;
  readonly logger: ReplicatorLogger;
  /** Called after each batch with its result, in shard order. Errors it throws are logged and ignored. */
  readonly onBatch?: (result: BatchResult, shardId: string) => void;
  /** Interval of the "replication stats" log line; 0 turns it off. @default 10000 */
  readonly statsIntervalMs?: number;
  /** Interval of shard discovery (`DescribeStream`), which finds the child shards of split or closed shards. @default 10000 */
  readonly discoveryIntervalMs?: number;
  /** First delay before re-reading an unfinished batch or retrying a failed stream call; doubles each time, with jitter. @default 1000 */
  readonly retryBaseDelayMs?: number;
  /** Longest such delay. @default 30000 */
  readonly retryMaxDelayMs?: number;
  /** Longest single DynamoDB or Streams API call; a call that hangs longer is retried. @default 30000 */
  readonly requestTimeoutMs?: number;
}

type Phase = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Reads one region's DynamoDB stream and feeds it to the replicator, outside Lambda
 * (`dynasync run`). It honours the same contract as the Lambda event source mapping: batches of
 * a shard are processed strictly in order, a batch that reports an unfinished record is read
 * again from that record, and a child shard is read only after its parent is finished.
 *
 * ```
 * shard A  ──[b1]──[b2]──[b3 #0 #1 ✗#2 #3]··backoff··[#2 #3 …]──[…]── closed ✓
 *                              checkpoint = #1 ┘      AT_SEQUENCE_NUMBER #2
 * shard A1 (child of A)                                                  └──[…]──▶
 * shard B  ──[b1]──[b2]──▶      (shards run concurrently, one loop each)
 * ```
 *
 * Positions are checkpointed after every batch (the last completed record per shard; the save runs
 * alongside the next read, never holding it up), so a
 * restart resumes where the previous run stopped (`AFTER_SEQUENCE_NUMBER`). Shards with no
 * checkpoint start at `replicator.startingPosition` on the very first start of a stream, and at
 * `TRIM_HORIZON` otherwise, so nothing written while the poller was stopped is lost (records read
 * twice come back `stale` at the peers, which is harmless).
 *
 * @example
 * const poller = new StreamPoller({ config, region, replicator, streamsClient, dynamoClient,
 *   checkpoints: FileCheckpointStore.forRegion(config, region), logger });
 * await poller.start();
 * // … later
 * await poller.stop(); // finishes the batch in flight and saves the checkpoint
 */
export class StreamPoller {
  /** Settles once the poller has stopped and saved its checkpoint; rejects if it stopped because of an error. */
  public readonly stopped: Promise<void>;

  private phase: Phase = 'new';
  private readonly abort = new AbortController();
  private readonly stats = new BatchStats();
  private readonly calls: StreamCalls;
  private readonly positions: ShardPositions;
  private readonly checkpoints: CheckpointWriter;
  private readonly loops = new Map<string, Promise<void>>();
  private streamArn: string | undefined;
  /** Set once the stream is found; the readers share it. */
  private readers: ShardReaderContext | undefined;
  private shards: ShardDiscovery | undefined;
  private startup: Promise<void> | undefined;
  private discovery: Promise<void> | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private lastStatsAt = Date.now();
  private resolveStopped!: () => void;
  private rejectStopped!: (error: unknown) => void;

  public constructor(private readonly props: StreamPollerProps) {
    if (props.config.regions[props.region] === undefined) {
      throw new Error(
        `StreamPoller: region "${props.region}" is not in the config (${Object.keys(props.config.regions).join(', ')})`,
      );
    }
    this.calls = new StreamCalls({
      signal: this.abort.signal,
      region: props.region,
      logger: props.logger,
      pollIntervalMs: props.config.replicator.pollIntervalMs,
      ...(props.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: props.requestTimeoutMs }),
      ...(props.retryBaseDelayMs === undefined ? {} : { retryBaseDelayMs: props.retryBaseDelayMs }),
      ...(props.retryMaxDelayMs === undefined ? {} : { retryMaxDelayMs: props.retryMaxDelayMs }),
    });
    this.positions = new ShardPositions(props.config.replicator.startingPosition);
    this.checkpoints = new CheckpointWriter({
      store: props.checkpoints,
      snapshot: () => this.positions.snapshot(this.streamArn),
      logger: props.logger,
      region: props.region,
    });
    this.stopped = new Promise<void>((resolve, reject) => {
      this.resolveStopped = resolve;
      this.rejectStopped = reject;
    });
    // A caller that only calls stop() still gets the error from stop(); never an unhandled rejection.
    this.stopped.catch(() => undefined);
  }

  /** The ids of the shards being read right now. */
  public get activeShards(): readonly string[] {
    return [...this.loops.keys()];
  }

  /**
   * Finds the table's stream, loads the checkpoint, discovers the shards and starts reading them.
   * Resolves once reading has started; {@link stopped} settles when it ends.
   * @throws DynasyncError `config.tableMismatch` (no table, no stream, wrong view type),
   *   `poller.checkpointCorrupt`, `poller.streamGone`; or the error of a failed AWS call.
   */
  public async start(): Promise<void> {
    if (this.phase !== 'new')
      throw new Error('StreamPoller.start: the poller was already started; create a new one to start again');
    this.phase = 'starting';
    this.startup = this.startUp();
    try {
      await this.startup;
    } catch (error) {
      if (this.phase !== 'starting') return; // stop() was called during start-up
      await this.shutdown(error);
      throw error;
    }
  }

  /** Stops gracefully: the batches in flight finish, the checkpoint is saved, then it resolves. */
  public async stop(): Promise<void> {
    await this.shutdown(undefined);
    return this.stopped;
  }

  private get running(): boolean {
    return this.phase === 'running';
  }

  private async startUp(): Promise<void> {
    const { config, region, logger } = this.props;
    const { table, awsRegion } = config.regions[region]!;
    const { startingPosition } = config.replicator;
    const streamArn = await findStreamArn(config, region, this.props.dynamoClient, this.calls);
    const saved = await this.props.checkpoints.load();
    const fresh = saved.streamArn !== streamArn;
    if (saved.streamArn !== undefined && fresh) {
      logger.warn(
        'the table has a new stream since the last checkpoint (stream disabled and enabled again): starting fresh',
        { region, table, checkpointStreamArn: saved.streamArn, streamArn, startingPosition },
      );
    }
    if (!fresh) this.positions.restore(saved.shards);
    this.streamArn = streamArn;
    const shards = this.discoverShards(streamArn, table);
    this.readers = this.readerContext(streamArn, awsRegion ?? region);
    await shards.refresh();
    if (fresh) this.positions.markInitial(shards.shardIds);
    await this.checkpoints.save();
    if (this.phase !== 'starting') return;
    this.phase = 'running';
    logger.info('stream poller started', {
      region,
      streamArn,
      shards: shards.size,
      resumed: !fresh,
      startingPosition: fresh ? startingPosition : 'checkpoint',
    });
    this.schedule();
    this.discovery = shards.run(
      () => this.running,
      () => this.schedule(),
      (error) => this.fail(error),
    );
    const statsIntervalMs = this.props.statsIntervalMs ?? 10_000;
    if (statsIntervalMs > 0) {
      this.lastStatsAt = Date.now();
      this.statsTimer = setInterval(() => this.logStats(), statsIntervalMs);
      this.statsTimer.unref();
    }
  }

  private discoverShards(streamArn: string, table: string): ShardDiscovery {
    this.shards = new ShardDiscovery({
      streamArn,
      region: this.props.region,
      table,
      streamsClient: this.props.streamsClient,
      calls: this.calls,
      positions: this.positions,
      logger: this.props.logger,
      signal: this.abort.signal,
      isActive: (shardId) => this.loops.has(shardId),
      ...(this.props.discoveryIntervalMs === undefined ? {} : { intervalMs: this.props.discoveryIntervalMs }),
    });
    return this.shards;
  }

  private readerContext(streamArn: string, awsRegion: string): ShardReaderContext {
    const { config, region } = this.props;
    return {
      region,
      streamArn,
      source: { streamArn, awsRegion },
      streamsClient: this.props.streamsClient,
      calls: this.calls,
      replicator: this.props.replicator,
      positions: this.positions,
      checkpoints: this.checkpoints,
      stats: this.stats,
      logger: this.props.logger,
      batchSize: config.replicator.batchSize,
      batchTimeoutMs: config.replicator.batchTimeoutMs,
      pollIntervalMs: config.replicator.pollIntervalMs,
      signal: this.abort.signal,
      isRunning: () => this.running,
      shardGone: (shardId) => this.shardGone(shardId),
      onFinished: () => this.shards?.request(),
      ...(this.props.onBatch === undefined ? {} : { onBatch: this.props.onBatch }),
    };
  }

  /** True when a fresh discovery no longer lists the shard. A vanished stream stops the poller. */
  private async shardGone(shardId: string): Promise<boolean> {
    const shards = this.shards!;
    try {
      await shards.refresh();
    } catch (error) {
      if (isDynasyncError(error, ErrorCodes.poller.streamGone)) this.fail(error);
      return false;
    }
    return !shards.has(shardId);
  }

  /** Starts a reader for every shard that is due (unfinished, parent finished). */
  private schedule(): void {
    if (!this.running || this.shards === undefined || this.readers === undefined) return;
    for (const shardId of this.shards.due()) {
      const loop = new ShardReader(shardId, this.readers)
        .run()
        .catch((error: unknown) => {
          this.props.logger.error('shard loop failed', {
            code: ErrorCodes.poller.shardFailed,
            shardId,
            error: errorMessage(error),
          });
          return sleep(this.props.retryMaxDelayMs ?? 30_000, this.abort.signal);
        })
        .finally(() => {
          this.loops.delete(shardId);
          this.schedule();
        });
      this.loops.set(shardId, loop);
    }
  }

  private logStats(): void {
    const now = Date.now();
    this.props.logger.info('replication stats', {
      region: this.props.region,
      intervalMs: now - this.lastStatsAt,
      shards: this.loops.size,
      ...this.stats.take(),
    });
    this.lastStatsAt = now;
  }

  private fail(error: unknown): void {
    this.props.logger.error('stream poller stopping after an error', {
      region: this.props.region,
      code: isDynasyncError(error) ? error.code : undefined,
      error: errorMessage(error),
    });
    this.shutdown(error).catch(() => undefined);
  }

  private async shutdown(error: unknown): Promise<void> {
    if (this.phase === 'stopping' || this.phase === 'stopped') return;
    const wasRunning = this.phase === 'running';
    this.phase = 'stopping';
    this.abort.abort();
    clearInterval(this.statsTimer);
    let failure = error;
    await this.startup?.catch(() => undefined);
    if (wasRunning) {
      await this.discovery;
      await Promise.all(this.loops.values());
      try {
        await this.checkpoints.save();
      } catch (saveError) {
        this.props.logger.error('final checkpoint not saved', {
          region: this.props.region,
          error: errorMessage(saveError),
        });
        failure ??= saveError;
      }
      if ((this.props.statsIntervalMs ?? 10_000) > 0) this.logStats();
    }
    this.phase = 'stopped';
    this.props.logger.info('stream poller stopped', {
      region: this.props.region,
      error: failure === undefined ? undefined : errorMessage(failure),
    });
    if (failure === undefined) this.resolveStopped();
    else this.rejectStopped(failure);
  }
}
