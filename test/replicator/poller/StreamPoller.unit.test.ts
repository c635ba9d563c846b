import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { _Record, DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../core/config/index.js';
import type { Replicator } from '../../../replicator/createReplicator.js';
import type { CheckpointStore, Checkpoints } from '../../../replicator/poller/CheckpointStore.js';
import { StreamPoller } from '../../../replicator/poller/StreamPoller.js';
import { type BatchResult, SkipReasons, type StreamRecord } from '../../../replicator/types.js';
import { recordingLogger } from './pollerHarness.js';

const STREAM_ARN = 'arn:aws:dynamodb:eu-west-1:1:table/src/stream/2024';

interface FakeShard {
  readonly id: string;
  readonly parent?: string;
  readonly sequences: readonly string[];
  readonly closed: boolean;
}

const awsError = (name: string): Error => Object.assign(new Error(`${name} (fake)`), { name });

const sdkRecord = (sequence: string): _Record => ({
  eventID: sequence,
  eventName: 'INSERT',
  eventSource: 'aws:dynamodb',
  dynamodb: {
    ApproximateCreationDateTime: new Date(),
    Keys: { pk: { S: sequence } },
    NewImage: { pk: { S: sequence } },
    SequenceNumber: sequence,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
});

/**
 * An in-memory DynamoDB stream: iterators are `<shard>@<index of the next record>`, and failures
 * can be scripted per call (`failures.get('GetRecords:x')` is thrown once on shard x's next read).
 */
const fakeStream = (shards: readonly FakeShard[]) => {
  const failures = new Map<string, string>();
  const calls: string[] = [];
  const byId = new Map(shards.map((shard) => [shard.id, shard]));
  const position = (
    shard: FakeShard,
    input: { ShardIteratorType: string; SequenceNumber?: string },
  ): number => {
    const at = shard.sequences.indexOf(input.SequenceNumber ?? '');
    switch (input.ShardIteratorType) {
      case 'TRIM_HORIZON':
        return 0;
      case 'LATEST':
        return shard.sequences.length;
      case 'AT_SEQUENCE_NUMBER':
        return at;
      default:
        return at + 1;
    }
  };
  const fail = (key: string): void => {
    const name = failures.get(key);
    if (name !== undefined) {
      failures.delete(key);
      throw awsError(name);
    }
  };
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const name = command.constructor.name.replace(/Command$/, '');
      const input = command.input as Record<string, string> & { Limit?: number };
      switch (name) {
        case 'DescribeStream': {
          calls.push(name);
          const all = [...byId.values()];
          const start =
            input.ExclusiveStartShardId === undefined
              ? 0
              : all.findIndex((shard) => shard.id === input.ExclusiveStartShardId) + 1;
          const page = all.slice(start, start + 2); // two shards per page: exercises pagination
          const more = start + 2 < all.length;
          return {
            StreamDescription: {
              StreamArn: STREAM_ARN,
              StreamStatus: 'ENABLED',
              Shards: page.map((shard) => ({
                ShardId: shard.id,
                ...(shard.parent === undefined ? {} : { ParentShardId: shard.parent }),
              })),
              ...(more ? { LastEvaluatedShardId: page[page.length - 1]!.id } : {}),
            },
          };
        }
        case 'GetShardIterator': {
          const shard = byId.get(input.ShardId!)!;
          calls.push(
            `${name}:${shard.id}:${input.ShardIteratorType}${input.SequenceNumber === undefined ? '' : `:${input.SequenceNumber}`}`,
          );
          fail(`${name}:${shard.id}:${input.ShardIteratorType}`);
          return { ShardIterator: `${shard.id}@${position(shard, input as never)}` };
        }
        case 'GetRecords': {
          const [id, index] = input.ShardIterator!.split('@') as [string, string];
          const shard = byId.get(id)!;
          fail(`${name}:${id}`);
          const from = Number(index);
          const sequences = shard.sequences.slice(from, from + (input.Limit ?? 100));
          const next = from + sequences.length;
          return {
            Records: sequences.map(sdkRecord),
            ...(shard.closed && next >= shard.sequences.length ? {} : { NextShardIterator: `${id}@${next}` }),
          };
        }
        default:
          throw new Error(`fake stream: unexpected ${name}`);
      }
    },
  };
  return { client: client as unknown as DynamoDBStreamsClient, failures, calls };
};

const fakeTable = {
  send: async () => ({
    Table: {
      LatestStreamArn: STREAM_ARN,
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    },
  }),
} as unknown as DynamoDBClient;

const result = (records: number): BatchResult => ({
  batchItemFailures: [],
  counts: {
    records,
    changes: records,
    applied: records,
    stale: 0,
    deadLettered: 0,
    unfinished: 0,
    retried: 0,
    skipped: Object.fromEntries(
      Object.values(SkipReasons).map((reason) => [reason, 0]),
    ) as BatchResult['counts']['skipped'],
  },
  lagMs: 5,
});

/** A replicator that records the sequence numbers it was given, in order. */
const fakeReplicator = () => {
  const processed: string[] = [];
  const replicator: Replicator = {
    region: 'eu-west-1',
    peers: ['us-east-1'],
    process: async (records: readonly StreamRecord[]) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      processed.push(...records.map((record) => record.dynamodb!.SequenceNumber!));
      return result(records.length);
    },
  };
  return { replicator, processed };
};

/** A checkpoint store in memory whose saves are slow, and which notices overlapping saves. */
const memoryStore = (initial: Checkpoints = { shards: {} }) => {
  let saved: Checkpoints = initial;
  let inFlight = 0;
  let overlaps = 0;
  const store: CheckpointStore = {
    load: async () => saved,
    save: async (checkpoints) => {
      inFlight += 1;
      if (inFlight > 1) overlaps += 1;
      await new Promise((resolve) => setTimeout(resolve, 3));
      saved = structuredClone(checkpoints);
      inFlight -= 1;
    },
  };
  return { store, saved: () => saved, overlaps: () => overlaps };
};

const config = parseConfig({
  version: 1,
  name: 't',
  regions: { 'eu-west-1': { table: 'src' }, 'us-east-1': { table: 'rep' } },
  topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
  replicator: { batchSize: 2, pollIntervalMs: 10 },
});

const seqs = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, index) => `${prefix}${String(index + 1).padStart(20, '0')}`);

const poller = (
  stream: ReturnType<typeof fakeStream>,
  replicator: Replicator,
  store: CheckpointStore,
  onBatch?: (r: BatchResult, s: string) => void,
) => {
  const logger = recordingLogger();
  const instance = new StreamPoller({
    config,
    region: 'eu-west-1',
    replicator,
    streamsClient: stream.client,
    dynamoClient: fakeTable,
    checkpoints: store,
    logger,
    statsIntervalMs: 0,
    discoveryIntervalMs: 50,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
    ...(onBatch === undefined ? {} : { onBatch }),
  });
  return { poller: instance, logger };
};

describe('StreamPoller (in-memory stream)', () => {
  it('reads a child shard only after its parent, every record once and in order, with saves that never overlap', async () => {
    // Prepare
    const parent = seqs('1', 5);
    const child = seqs('2', 3);
    const other = seqs('3', 4);
    const stream = fakeStream([
      { id: 'parent', sequences: parent, closed: true },
      { id: 'other', sequences: other, closed: false },
      { id: 'child', parent: 'parent', sequences: child, closed: false },
    ]);
    const { replicator, processed } = fakeReplicator();
    const memory = memoryStore();
    const batches: string[] = [];
    const { poller: instance } = poller(stream, replicator, memory.store, (_result, shardId) =>
      batches.push(shardId),
    );

    // Act
    await instance.start();
    await vi.waitFor(() => expect(processed).toHaveLength(12), { timeout: 5_000 });
    await instance.stop();

    // Assess
    expect(processed.filter((sequence) => sequence.startsWith('1') || sequence.startsWith('2'))).toEqual([
      ...parent,
      ...child,
    ]);
    expect(processed.filter((sequence) => sequence.startsWith('3'))).toEqual(other);
    expect(memory.overlaps()).toBe(0);
    expect(memory.saved()).toEqual({
      streamArn: STREAM_ARN,
      shards: {
        parent: { sequenceNumber: parent[4], finished: true },
        child: { sequenceNumber: child[2], finished: false },
        other: { sequenceNumber: other[3], finished: false },
      },
    });
    expect(batches.filter((shardId) => shardId === 'parent')).toHaveLength(3);
  });

  it('reads and processes the next batches while a checkpoint save is still running, and saves the last position on stop', async () => {
    // Prepare: the start-up save completes; every later save hangs until released (a slow fsync).
    const sequences = seqs('1', 6);
    const stream = fakeStream([{ id: 's', sequences, closed: false }]);
    const { replicator, processed } = fakeReplicator();
    let saved: Checkpoints = { shards: {} };
    let saves = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store: CheckpointStore = {
      load: async () => saved,
      save: async (checkpoints) => {
        saves += 1;
        if (saves > 1) await released;
        saved = structuredClone(checkpoints);
      },
    };
    const { poller: instance } = poller(stream, replicator, store);

    // Act: three batches of two (batchSize 2) while the first batch's save has not finished
    await instance.start();
    await vi.waitFor(() => expect(processed).toHaveLength(6), { timeout: 5_000 });
    const savedWhileHanging = structuredClone(saved);
    release();
    await instance.stop();

    // Assess
    expect(savedWhileHanging.shards.s).toBeUndefined();
    expect(saved.shards.s).toEqual({ sequenceNumber: sequences[5], finished: false });
  });

  it('resumes after the checkpoint, treats a parent missing from the stream as finished, and skips finished shards', async () => {
    // Prepare
    const done = seqs('1', 2);
    const open = seqs('2', 4);
    const stream = fakeStream([
      { id: 'done', sequences: done, closed: true },
      { id: 'open', parent: 'trimmed-away', sequences: open, closed: false },
    ]);
    const { replicator, processed } = fakeReplicator();
    const memory = memoryStore({
      streamArn: STREAM_ARN,
      shards: {
        done: { sequenceNumber: done[1], finished: true },
        open: { sequenceNumber: open[1], finished: false },
      },
    });
    const { poller: instance } = poller(stream, replicator, memory.store);

    // Act
    await instance.start();
    await vi.waitFor(() => expect(processed).toHaveLength(2), { timeout: 5_000 });
    await instance.stop();

    // Assess
    expect(processed).toEqual(open.slice(2));
    expect(stream.calls).toContain(`GetShardIterator:open:AFTER_SEQUENCE_NUMBER:${open[1]}`);
    expect(stream.calls.some((call) => call.startsWith('GetShardIterator:done'))).toBe(false);
  });

  it('re-acquires an expired iterator from the checkpoint, and reads on from TRIM_HORIZON after trimmed data, loudly', async () => {
    // Prepare
    const sequences = seqs('1', 6);
    const stream = fakeStream([{ id: 's', sequences, closed: false }]);
    stream.failures.set('GetRecords:s', 'ExpiredIteratorException');
    const { replicator, processed } = fakeReplicator();
    const memory = memoryStore({
      streamArn: STREAM_ARN,
      shards: { s: { sequenceNumber: sequences[1], finished: false } },
    });
    stream.failures.set('GetShardIterator:s:AFTER_SEQUENCE_NUMBER', 'TrimmedDataAccessException');
    const { poller: instance, logger } = poller(stream, replicator, memory.store);

    // Act
    await instance.start();
    await vi.waitFor(() => expect(processed.length).toBeGreaterThanOrEqual(6), { timeout: 5_000 });
    await instance.stop();

    // Assess
    expect(processed).toEqual(sequences);
    expect(
      logger.lines
        .filter((line) => line.level === 'error')
        .map((line) => (line.extra[0] as { code?: string }).code),
    ).toEqual(['poller.dataTrimmed']);
    expect(stream.calls.filter((call) => call.startsWith('GetShardIterator'))).toEqual([
      `GetShardIterator:s:AFTER_SEQUENCE_NUMBER:${sequences[1]}`,
      'GetShardIterator:s:TRIM_HORIZON',
      'GetShardIterator:s:TRIM_HORIZON',
    ]);
  });

  it('stops gracefully: the batch in flight completes and is checkpointed before stop resolves', async () => {
    // Prepare
    const sequences = seqs('1', 2);
    const stream = fakeStream([{ id: 's', sequences, closed: false }]);
    const memory = memoryStore();
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const replicator: Replicator = {
      region: 'eu-west-1',
      peers: ['us-east-1'],
      process: async (records) => {
        entered();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return result(records.length);
      },
    };
    const { poller: instance } = poller(stream, replicator, memory.store);
    await instance.start();
    await inside;

    // Act
    let settledEarly = false;
    const stopping = instance.stop().then(() => {
      settledEarly = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const settledBeforeRelease = settledEarly;
    release();
    await stopping;

    // Assess
    expect(settledBeforeRelease).toBe(false);
    expect(memory.saved().shards.s).toEqual({ sequenceNumber: sequences[1], finished: false });
    await expect(instance.stopped).resolves.toBeUndefined();
  });
});
