import { DescribeTableCommand, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type StreamDescription,
} from '@aws-sdk/client-dynamodb-streams';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes, isDynasyncError } from '../../core/errors.js';
import { retryTransient } from '../_internals/retryTransient.js';
import { backoffDelay } from '../classifyError.js';
import type { Replicator } from '../createReplicator.js';
import type { ReplicatorLogger } from '../processBatch.js';
import type { BatchResult } from '../types.js';
import { errorMessage, errorName, StreamErrors } from './_internals/awsErrors.js';
import { BatchStats } from './_internals/BatchStats.js';
import { linkedSignal } from './_internals/linkedSignal.js';
import { sleep } from './_internals/sleep.js';
import type { CheckpointStore, Checkpoints, ShardCheckpoint } from './CheckpointStore.js';
import { type RecordSource, toLambdaRecord } from './toLambdaRecord.js';

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

/** Where a shard iterator starts. */
type Position =
  | { readonly type: 'TRIM_HORIZON' | 'LATEST' }
  | { readonly type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

interface ShardState {
  sequenceNumber: string | undefined;
  finished: boolean;
}

const describePosition = (position: Position): string =>
  'sequenceNumber' in position ? `${position.type} ${position.sequenceNumber}` : position.type;

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
  private readonly positions = new Map<string, ShardState>();
  private readonly loops = new Map<string, Promise<void>>();
  /** Shards that existed when the stream was first read: they start at `startingPosition`. */
  private readonly initialShards = new Set<string>();
  private shards = new Map<string, Shard>();
  private streamArn: string | undefined;
  private source: RecordSource | undefined;
  private startup: Promise<void> | undefined;
  private discovery: Promise<void> | undefined;
  private discoveryRequested = false;
  private wakeDiscovery: (() => void) | undefined;
  private disabledWarned = false;
  private statsTimer: NodeJS.Timeout | undefined;
  private lastStatsAt = Date.now();
  private queuedSave: Promise<void> | undefined;
  private lastSave: Promise<void> = Promise.resolve();
  private resolveStopped!: () => void;
  private rejectStopped!: (error: unknown) => void;

  public constructor(private readonly props: StreamPollerProps) {
    if (props.config.regions[props.region] === undefined) {
      throw new Error(
        `StreamPoller: region "${props.region}" is not in the config (${Object.keys(props.config.regions).join(', ')})`,
      );
    }
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

  /** Runs one API call, aborted on stop or when it takes longer than `requestTimeoutMs`. */
  private async call<T>(send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const link = linkedSignal(this.abort.signal, this.props.requestTimeoutMs ?? 30_000);
    try {
      return await send(link.signal);
    } finally {
      link.dispose();
    }
  }

  /** {@link call}, retried while it fails transiently (a throttled DescribeTable must not stop start-up). */
  private callRetrying<T>(send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return retryTransient(() => this.call(send), {
      signal: this.abort.signal,
      onRetry: (error, attempt, delayMs) =>
        this.props.logger.warn('stream call failed; retrying', {
          region: this.props.region,
          awsError: errorName(error),
          attempt,
          delayMs,
        }),
    });
  }

  private get running(): boolean {
    return this.phase === 'running';
  }

  private get replicatorOptions(): Config['replicator'] {
    return this.props.config.replicator;
  }

  private async startUp(): Promise<void> {
    const { config, region, logger } = this.props;
    const streamArn = await this.currentStreamArn();
    const saved = await this.props.checkpoints.load();
    const fresh = saved.streamArn !== streamArn;
    if (saved.streamArn !== undefined && fresh) {
      logger.warn(
        'the table has a new stream since the last checkpoint (stream disabled and enabled again): starting fresh',
        {
          region,
          table: config.regions[region]!.table,
          checkpointStreamArn: saved.streamArn,
          streamArn,
          startingPosition: this.replicatorOptions.startingPosition,
        },
      );
    }
    if (!fresh) {
      for (const [shardId, checkpoint] of Object.entries(saved.shards)) {
        this.positions.set(shardId, {
          sequenceNumber: checkpoint.sequenceNumber,
          finished: checkpoint.finished,
        });
      }
    }
    this.streamArn = streamArn;
    this.source = { streamArn, awsRegion: config.regions[region]!.awsRegion ?? region };
    await this.discover();
    if (fresh) for (const shardId of this.shards.keys()) this.initialShards.add(shardId);
    await this.persist();
    if (this.phase !== 'starting') return;
    this.phase = 'running';
    logger.info('stream poller started', {
      region,
      streamArn,
      shards: this.shards.size,
      resumed: !fresh,
      startingPosition: fresh ? this.replicatorOptions.startingPosition : 'checkpoint',
    });
    this.schedule();
    this.discovery = this.discoveryLoop();
    const statsIntervalMs = this.props.statsIntervalMs ?? 10_000;
    if (statsIntervalMs > 0) {
      this.lastStatsAt = Date.now();
      this.statsTimer = setInterval(() => this.logStats(), statsIntervalMs);
      this.statsTimer.unref();
    }
  }

  /** The table's current stream, checked to be usable. */
  private async currentStreamArn(): Promise<string> {
    const { config, region } = this.props;
    const table = config.regions[region]!.table;
    let description: TableDescription | undefined;
    try {
      ({ Table: description } = await this.callRetrying((abortSignal) =>
        this.props.dynamoClient.send(new DescribeTableCommand({ TableName: table }), { abortSignal }),
      ));
    } catch (error) {
      if (errorName(error) !== StreamErrors.notFound) throw error;
      throw new DynasyncError(
        ErrorCodes.config.tableMismatch,
        `regions.${region}.table: table "${table}" does not exist in ${region}; create it (with a NEW_AND_OLD_IMAGES stream) or fix the config`,
        {
          payload: {
            path: `regions.${region}.table`,
            region,
            table,
            problems: [{ region, table, problem: 'missing' }],
          },
          cause: error,
        },
      );
    }
    const spec = description?.StreamSpecification;
    const streamArn = spec?.StreamEnabled === true ? description?.LatestStreamArn : undefined;
    if (streamArn === undefined || spec?.StreamViewType !== 'NEW_AND_OLD_IMAGES') {
      const problem = streamArn === undefined ? 'streamDisabled' : 'streamViewType';
      throw new DynasyncError(
        ErrorCodes.config.tableMismatch,
        `regions.${region}.table: table "${table}" in ${region} ` +
          (problem === 'streamDisabled' ? 'has no stream' : `has a ${spec?.StreamViewType} stream`) +
          '; dynasync run needs a stream with view type NEW_AND_OLD_IMAGES (enable it, or disable and re-enable it with that view type)',
        {
          payload: { path: `regions.${region}.table`, region, table, problems: [{ region, table, problem }] },
        },
      );
    }
    return streamArn;
  }

  /** Lists every shard of the stream (all pages) and forgets finished shards the stream no longer has. */
  private async discover(): Promise<void> {
    const streamArn = this.streamArn!;
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
        ({ StreamDescription: description } = await this.callRetrying((abortSignal) =>
          this.props.streamsClient.send(new DescribeStreamCommand(input), { abortSignal }),
        ));
      } catch (error) {
        if (errorName(error) !== StreamErrors.notFound) throw error;
        throw new DynasyncError(
          ErrorCodes.poller.streamGone,
          `the stream ${streamArn} of table "${this.props.config.regions[this.props.region]!.table}" in ${this.props.region} no longer exists ` +
            '(the table was deleted, or its stream disabled more than 24 hours ago); enable a NEW_AND_OLD_IMAGES stream and restart dynasync run: it starts fresh on the new stream',
          { payload: { region: this.props.region, streamArn }, cause: error },
        );
      }
      status = description?.StreamStatus;
      for (const shard of description?.Shards ?? [])
        if (shard.ShardId !== undefined) shards.set(shard.ShardId, shard);
      exclusiveStartShardId = description?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
    this.shards = shards;

    for (const [shardId, state] of this.positions) {
      if (shards.has(shardId) || this.loops.has(shardId)) continue;
      if (!state.finished) {
        this.props.logger.warn('a shard left the stream before it was finished (trimmed after 24 h)', {
          code: ErrorCodes.poller.dataTrimmed,
          region: this.props.region,
          shardId,
          sequenceNumber: state.sequenceNumber,
        });
      }
      this.positions.delete(shardId);
    }
    if (
      status === 'DISABLED' &&
      !this.disabledWarned &&
      [...shards.keys()].every((id) => this.positions.get(id)?.finished === true)
    ) {
      this.disabledWarned = true;
      this.props.logger.warn(
        'the stream is disabled and fully read; restart dynasync run once a new stream is enabled',
        {
          region: this.props.region,
          streamArn,
        },
      );
    }
  }

  private stateOf(shardId: string): ShardState {
    let state = this.positions.get(shardId);
    if (state === undefined) {
      state = { sequenceNumber: undefined, finished: false };
      this.positions.set(shardId, state);
    }
    return state;
  }

  /** A shard may be read once its parent is finished; a parent the stream no longer lists was trimmed, which counts as finished. */
  private parentFinished(shard: Shard): boolean {
    const parent = shard.ParentShardId;
    if (parent === undefined || !this.shards.has(parent)) return true;
    return this.positions.get(parent)?.finished === true;
  }

  /** Starts a loop for every unfinished shard whose parent is finished. */
  private schedule(): void {
    if (!this.running) return;
    for (const [shardId, shard] of this.shards) {
      if (
        this.loops.has(shardId) ||
        this.positions.get(shardId)?.finished === true ||
        !this.parentFinished(shard)
      )
        continue;
      const loop = this.runShard(shardId)
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

  /** Where to resume a shard when there is no iterator: after its checkpoint, else its starting position. */
  private resumePosition(shardId: string): Position {
    const sequenceNumber = this.positions.get(shardId)?.sequenceNumber;
    if (sequenceNumber !== undefined) return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber };
    return {
      type: this.initialShards.has(shardId) ? this.replicatorOptions.startingPosition : 'TRIM_HORIZON',
    };
  }

  private async getIterator(shardId: string, position: Position): Promise<string | undefined> {
    const command = new GetShardIteratorCommand({
      StreamArn: this.streamArn,
      ShardId: shardId,
      ShardIteratorType: position.type,
      ...('sequenceNumber' in position ? { SequenceNumber: position.sequenceNumber } : {}),
    });
    const { ShardIterator } = await this.call((abortSignal) =>
      this.props.streamsClient.send(command, { abortSignal }),
    );
    return ShardIterator;
  }

  private retryDelay(failures: number): number {
    return Math.max(
      this.replicatorOptions.pollIntervalMs,
      backoffDelay(failures, this.props.retryBaseDelayMs ?? 1_000, this.props.retryMaxDelayMs ?? 30_000),
    );
  }

  /** Reads one shard to its end (or until stop), batch after batch, strictly in order. */
  private async runShard(shardId: string): Promise<void> {
    const { logger, region } = this.props;
    const state = this.stateOf(shardId);
    let iterator: string | undefined;
    let from: Position | undefined;
    let failures = 0;
    logger.info('reading shard', { region, shardId, from: describePosition(this.resumePosition(shardId)) });
    while (this.running) {
      try {
        if (iterator === undefined) {
          iterator = await this.getIterator(shardId, from ?? this.resumePosition(shardId));
          from = undefined;
          if (iterator === undefined) {
            await this.finish(shardId, state);
            return;
          }
        }
        const command = new GetRecordsCommand({
          ShardIterator: iterator,
          Limit: this.replicatorOptions.batchSize,
        });
        const page = await this.call((abortSignal) =>
          this.props.streamsClient.send(command, { abortSignal }),
        );
        const records = page.Records ?? [];
        if (records.length > 0) {
          const retry = await this.processRecords(shardId, state, records);
          if (retry !== undefined) {
            iterator = undefined;
            from = retry.from;
            const delayMs = this.retryDelay(failures);
            failures += 1;
            logger.warn('batch unfinished: reading it again from the first unfinished record', {
              region,
              shardId,
              resumeAt:
                from === undefined ? describePosition(this.resumePosition(shardId)) : describePosition(from),
              attempt: failures,
              delayMs,
            });
            await sleep(delayMs, this.abort.signal);
            continue;
          }
        }
        failures = 0;
        if (page.NextShardIterator === undefined) {
          await this.finish(shardId, state);
          return;
        }
        iterator = page.NextShardIterator;
        if (records.length === 0) await sleep(this.replicatorOptions.pollIntervalMs, this.abort.signal);
      } catch (error) {
        if (!this.running) return;
        iterator = undefined;
        const name = errorName(error);
        if (name === StreamErrors.expiredIterator) {
          logger.info('shard iterator expired: resuming from the checkpoint', {
            region,
            shardId,
            sequenceNumber: state.sequenceNumber,
          });
          continue;
        }
        if (name === StreamErrors.trimmedData) {
          logger.error(
            'RECORDS LOST: the stream trimmed records of this shard before they were replicated (stopped longer than the 24 h retention?). ' +
              'Reading on from TRIM_HORIZON; repair the peers with a verify and backfill',
            {
              code: ErrorCodes.poller.dataTrimmed,
              region,
              shardId,
              lastSequenceNumber: state.sequenceNumber,
              error: errorMessage(error),
            },
          );
          state.sequenceNumber = undefined;
          this.initialShards.delete(shardId);
          from = { type: 'TRIM_HORIZON' };
          continue;
        }
        if (name === StreamErrors.notFound && (await this.shardGone(shardId))) {
          logger.error('the shard is gone from the stream (trimmed after 24 h) before it was finished', {
            code: ErrorCodes.poller.dataTrimmed,
            region,
            shardId,
            lastSequenceNumber: state.sequenceNumber,
          });
          await this.finish(shardId, state);
          return;
        }
        const delayMs = this.retryDelay(failures);
        failures += 1;
        logger.warn('stream read failed; retrying', {
          code: ErrorCodes.poller.shardFailed,
          region,
          shardId,
          awsError: name,
          error: errorMessage(error),
          attempt: failures,
          delayMs,
        });
        await sleep(delayMs, this.abort.signal);
      }
    }
  }

  /** True when a fresh discovery no longer lists the shard. A vanished stream stops the poller. */
  private async shardGone(shardId: string): Promise<boolean> {
    try {
      await this.discover();
    } catch (error) {
      if (isDynasyncError(error, ErrorCodes.poller.streamGone)) this.fail(error);
      return false;
    }
    return !this.shards.has(shardId);
  }

  /**
   * Hands one page of records to the replicator and checkpoints what completed.
   * @returns where to read again when some record is unfinished; undefined when all completed.
   */
  private async processRecords(
    shardId: string,
    state: ShardState,
    records: readonly _Record[],
  ): Promise<{ readonly from: Position | undefined } | undefined> {
    const wire = records.map((record) => toLambdaRecord(record, this.source!));
    const sequenceAt = (index: number): string | undefined => wire[index]?.dynamodb?.SequenceNumber;
    const newest = records[records.length - 1]?.dynamodb?.ApproximateCreationDateTime;
    const first = sequenceAt(0);
    const again = (sequenceNumber: string | undefined) => ({
      from:
        sequenceNumber === undefined ? undefined : ({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber } as const),
    });

    let result: BatchResult;
    try {
      result = await this.props.replicator.process(wire, Date.now() + this.replicatorOptions.batchTimeoutMs);
    } catch (error) {
      this.props.logger.error('the replicator failed on a batch; it will be read again', {
        code: ErrorCodes.poller.shardFailed,
        region: this.props.region,
        shardId,
        firstSequenceNumber: first,
        error: errorMessage(error),
      });
      return again(first);
    }
    this.stats.add(result, newest === undefined ? undefined : Math.max(0, Date.now() - newest.getTime()));
    try {
      this.props.onBatch?.(result, shardId);
    } catch (error) {
      this.props.logger.warn('onBatch callback threw; ignored', { shardId, error: errorMessage(error) });
    }

    const failed = result.batchItemFailures[0]?.itemIdentifier;
    if (failed === undefined) {
      const last = sequenceAt(wire.length - 1);
      if (last !== undefined) state.sequenceNumber = last;
      // Not awaited: the save (write, fsync, rename, fsync of the folder) runs while the next page is
      // read and processed, instead of adding its time to every batch's lag. Saves still never
      // overlap and each one snapshots the newest positions (see persist); stop awaits the last one.
      //   read b1 ─ process b1 ─┬─ read b2 ─ process b2 ─┬─ …
      //                         └─ save ≤ b1 ─┘           └─ save ≤ b2 ─┘
      void this.persistOrLog();
      return undefined;
    }
    const index = wire.findIndex((record) => record.dynamodb?.SequenceNumber === failed);
    if (index > 0) {
      state.sequenceNumber = sequenceAt(index - 1);
      await this.persistOrLog();
    }
    return again(index >= 0 ? failed : first);
  }

  private async finish(shardId: string, state: ShardState): Promise<void> {
    state.finished = true;
    await this.persistOrLog();
    this.props.logger.info('shard finished', {
      region: this.props.region,
      shardId,
      sequenceNumber: state.sequenceNumber,
    });
    this.requestDiscovery();
  }

  /** Re-discovers shards every `discoveryIntervalMs`, or sooner when a shard finished (its children are due). */
  private async discoveryLoop(): Promise<void> {
    const intervalMs = this.props.discoveryIntervalMs ?? 10_000;
    let failures = 0;
    while (this.running) {
      await this.waitForDiscovery(
        failures === 0 ? intervalMs : Math.max(intervalMs, this.retryDelay(failures)),
      );
      if (!this.running) return;
      try {
        await this.discover();
        failures = 0;
        this.schedule();
      } catch (error) {
        if (!this.running) return;
        if (isDynasyncError(error, ErrorCodes.poller.streamGone)) {
          this.fail(error);
          return;
        }
        failures += 1;
        this.props.logger.warn('shard discovery failed; retrying', {
          region: this.props.region,
          awsError: errorName(error),
          error: errorMessage(error),
          attempt: failures,
        });
      }
    }
  }

  private requestDiscovery(): void {
    this.discoveryRequested = true;
    this.wakeDiscovery?.();
  }

  private async waitForDiscovery(ms: number): Promise<void> {
    // At least a short pause between calls, however many shards finish at once.
    await sleep(Math.min(ms, 500), this.abort.signal);
    if (this.discoveryRequested) {
      this.discoveryRequested = false;
      return;
    }
    const wake = linkedSignal(this.abort.signal);
    this.wakeDiscovery = wake.abort;
    await sleep(Math.max(0, ms - 500), wake.signal);
    wake.dispose();
    this.wakeDiscovery = undefined;
    this.discoveryRequested = false;
  }

  private snapshot(): Checkpoints {
    const shards: Record<string, ShardCheckpoint> = {};
    for (const [shardId, state] of this.positions) {
      shards[shardId] =
        state.sequenceNumber === undefined
          ? { finished: state.finished }
          : { sequenceNumber: state.sequenceNumber, finished: state.finished };
    }
    return { ...(this.streamArn === undefined ? {} : { streamArn: this.streamArn }), shards };
  }

  /**
   * Saves the positions. Saves never overlap: a call made while one is running waits for it, and
   * every call made meanwhile shares the one next save, whose snapshot is taken when it begins —
   * so the updates of all shards are in it.
   */
  private persist(): Promise<void> {
    if (this.queuedSave !== undefined) return this.queuedSave;
    const save = this.lastSave.then(() => {
      this.queuedSave = undefined;
      return this.props.checkpoints.save(this.snapshot());
    });
    this.queuedSave = save;
    this.lastSave = save.catch(() => undefined);
    return save;
  }

  private async persistOrLog(): Promise<void> {
    try {
      await this.persist();
    } catch (error) {
      this.props.logger.error(
        'checkpoint not saved; it is retried after the next batch (a restart would re-read records, harmlessly)',
        {
          region: this.props.region,
          error: errorMessage(error),
        },
      );
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
        await this.persist();
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
