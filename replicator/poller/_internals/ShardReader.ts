import {
  type _Record,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { sleep } from '../../../core/async/sleep.js';
import { errorMessage } from '../../../core/errorMessage.js';
import { errorName } from '../../../core/errorName.js';
import { ErrorCodes } from '../../../core/errors.js';
import type { Replicator } from '../../createReplicator.js';
import type { ReplicatorLogger } from '../../processBatch.js';
import type { BatchResult } from '../../types.js';
import { type RecordSource, toLambdaRecord } from '../toLambdaRecord.js';
import { StreamErrors } from './awsErrors.js';
import type { BatchStats } from './BatchStats.js';
import type { CheckpointWriter } from './CheckpointWriter.js';
import { describePosition, type Position, type ShardPositions, type ShardState } from './ShardPositions.js';
import type { StreamCalls } from './StreamCalls.js';

/** What a {@link ShardReader} reads with and reports to; one context serves every shard of the stream. */
export interface ShardReaderContext {
  readonly region: string;
  readonly streamArn: string;
  readonly source: RecordSource;
  readonly streamsClient: DynamoDBStreamsClient;
  readonly calls: StreamCalls;
  readonly replicator: Replicator;
  readonly positions: ShardPositions;
  readonly checkpoints: CheckpointWriter;
  readonly stats: BatchStats;
  readonly logger: ReplicatorLogger;
  readonly batchSize: number;
  readonly batchTimeoutMs: number;
  readonly pollIntervalMs: number;
  /** Aborts the reader's waits when the poller stops. */
  readonly signal: AbortSignal;
  readonly isRunning: () => boolean;
  /** True when a fresh discovery no longer lists the shard. */
  readonly shardGone: (shardId: string) => Promise<boolean>;
  /** Called once the shard is read to its end (its children are due). */
  readonly onFinished: (shardId: string) => void;
  readonly onBatch?: (result: BatchResult, shardId: string) => void;
}

/** Where to read again after an unfinished batch; `from` undefined means "after the checkpoint". */
interface ReadAgain {
  readonly from: Position | undefined;
}

/**
 * Reads one shard to its end (or until stop), batch after batch, strictly in order. A batch that
 * reports an unfinished record is read again from that record after a backoff; an expired iterator
 * is re-acquired from the checkpoint; trimmed data is logged as lost and reading goes on from
 * `TRIM_HORIZON`; a shard the stream no longer lists is finished.
 *
 * ```
 * [b3 #0 #1 ✗#2 #3]··backoff··[#2 #3 …]──[…]── closed ✓
 *    checkpoint = #1 ┘      AT_SEQUENCE_NUMBER #2
 * ```
 */
export class ShardReader {
  private readonly state: ShardState;
  private iterator: string | undefined;
  private from: Position | undefined;
  private failures = 0;

  public constructor(
    private readonly shardId: string,
    private readonly context: ShardReaderContext,
  ) {
    this.state = context.positions.stateOf(shardId);
  }

  /** Reads until the shard is finished or the poller stops. */
  public async run(): Promise<void> {
    const { logger, region, positions, isRunning } = this.context;
    logger.info('reading shard', {
      region,
      shardId: this.shardId,
      from: describePosition(positions.resumePosition(this.shardId)),
    });
    while (isRunning()) {
      try {
        if ((await this.step()) === 'done') return;
      } catch (error) {
        if (!isRunning()) return;
        this.iterator = undefined;
        if ((await this.recover(error)) === 'done') return;
      }
    }
  }

  /** Reads and processes one page. */
  private async step(): Promise<'done' | 'next'> {
    const { calls, streamsClient, signal } = this.context;
    if (this.iterator === undefined) {
      this.iterator = await this.getIterator(
        this.from ?? this.context.positions.resumePosition(this.shardId),
      );
      this.from = undefined;
      if (this.iterator === undefined) {
        await this.finish();
        return 'done';
      }
    }
    const command = new GetRecordsCommand({ ShardIterator: this.iterator, Limit: this.context.batchSize });
    const page = await calls.call((abortSignal) => streamsClient.send(command, { abortSignal }));
    const records = page.Records ?? [];
    if (records.length > 0) {
      const retry = await this.processRecords(records);
      if (retry !== undefined) {
        await this.readAgainLater(retry);
        return 'next';
      }
    }
    this.failures = 0;
    if (page.NextShardIterator === undefined) {
      await this.finish();
      return 'done';
    }
    this.iterator = page.NextShardIterator;
    if (records.length === 0) await sleep(this.context.pollIntervalMs, signal);
    return 'next';
  }

  private async readAgainLater(retry: ReadAgain): Promise<void> {
    this.iterator = undefined;
    this.from = retry.from;
    const delayMs = this.context.calls.retryDelay(this.failures);
    this.failures += 1;
    this.context.logger.warn('batch unfinished: reading it again from the first unfinished record', {
      region: this.context.region,
      shardId: this.shardId,
      resumeAt: describePosition(this.from ?? this.context.positions.resumePosition(this.shardId)),
      attempt: this.failures,
      delayMs,
    });
    await sleep(delayMs, this.context.signal);
  }

  /** Handles a failed read: what to do next, after any wait. */
  private async recover(error: unknown): Promise<'done' | 'again'> {
    const { logger, region } = this.context;
    const { shardId, state } = this;
    const name = errorName(error);
    if (name === StreamErrors.expiredIterator) {
      logger.info('shard iterator expired: resuming from the checkpoint', {
        region,
        shardId,
        sequenceNumber: state.sequenceNumber,
      });
      return 'again';
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
      this.context.positions.restartAtTrimHorizon(shardId, state);
      this.from = { type: 'TRIM_HORIZON' };
      return 'again';
    }
    if (name === StreamErrors.notFound && (await this.context.shardGone(shardId))) {
      logger.error('the shard is gone from the stream (trimmed after 24 h) before it was finished', {
        code: ErrorCodes.poller.dataTrimmed,
        region,
        shardId,
        lastSequenceNumber: state.sequenceNumber,
      });
      await this.finish();
      return 'done';
    }
    const delayMs = this.context.calls.retryDelay(this.failures);
    this.failures += 1;
    logger.warn('stream read failed; retrying', {
      code: ErrorCodes.poller.shardFailed,
      region,
      shardId,
      awsError: name,
      error: errorMessage(error),
      attempt: this.failures,
      delayMs,
    });
    await sleep(delayMs, this.context.signal);
    return 'again';
  }

  private async getIterator(position: Position): Promise<string | undefined> {
    const command = new GetShardIteratorCommand({
      StreamArn: this.context.streamArn,
      ShardId: this.shardId,
      ShardIteratorType: position.type,
      ...('sequenceNumber' in position ? { SequenceNumber: position.sequenceNumber } : {}),
    });
    const { ShardIterator } = await this.context.calls.call((abortSignal) =>
      this.context.streamsClient.send(command, { abortSignal }),
    );
    return ShardIterator;
  }

  /**
   * Hands one page of records to the replicator and checkpoints what completed.
   * @returns where to read again when some record is unfinished; undefined when all completed.
   */
  private async processRecords(records: readonly _Record[]): Promise<ReadAgain | undefined> {
    const { replicator, logger, region, checkpoints } = this.context;
    const { shardId, state } = this;
    const wire = records.map((record) => toLambdaRecord(record, this.context.source));
    const sequenceAt = (index: number): string | undefined => wire[index]?.dynamodb?.SequenceNumber;
    const newest = records[records.length - 1]?.dynamodb?.ApproximateCreationDateTime;
    const first = sequenceAt(0);
    const again = (sequenceNumber: string | undefined): ReadAgain => ({
      from: sequenceNumber === undefined ? undefined : { type: 'AT_SEQUENCE_NUMBER', sequenceNumber },
    });

    let result: BatchResult;
    try {
      result = await replicator.process(wire, Date.now() + this.context.batchTimeoutMs);
    } catch (error) {
      logger.error('the replicator failed on a batch; it will be read again', {
        code: ErrorCodes.poller.shardFailed,
        region,
        shardId,
        firstSequenceNumber: first,
        error: errorMessage(error),
      });
      return again(first);
    }
    this.context.stats.add(
      result,
      newest === undefined ? undefined : Math.max(0, Date.now() - newest.getTime()),
    );
    try {
      this.context.onBatch?.(result, shardId);
    } catch (error) {
      logger.warn('onBatch callback threw; ignored', { shardId, error: errorMessage(error) });
    }

    const failed = result.batchItemFailures[0]?.itemIdentifier;
    if (failed === undefined) {
      const last = sequenceAt(wire.length - 1);
      if (last !== undefined) state.sequenceNumber = last;
      // Not awaited: the save runs beside the next read, never holding it up (see CheckpointWriter).
      void checkpoints.saveOrLog();
      return undefined;
    }
    const index = wire.findIndex((record) => record.dynamodb?.SequenceNumber === failed);
    if (index > 0) {
      state.sequenceNumber = sequenceAt(index - 1);
      await checkpoints.saveOrLog();
    }
    return again(index >= 0 ? failed : first);
  }

  private async finish(): Promise<void> {
    this.state.finished = true;
    await this.context.checkpoints.saveOrLog();
    this.context.logger.info('shard finished', {
      region: this.context.region,
      shardId: this.shardId,
      sequenceNumber: this.state.sequenceNumber,
    });
    this.context.onFinished(this.shardId);
  }
}
