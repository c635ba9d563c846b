import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Replicator } from '../../../replicator/createReplicator.js';
import { checkpointPath, FileCheckpointStore } from '../../../replicator/poller/FileCheckpointStore.js';
import { runUntilSignal } from '../../../replicator/poller/runUntilSignal.js';
import type { StreamRecord } from '../../../replicator/types.js';
import {
  assertConverges,
  countsCollector,
  makePoller,
  type PollerEnv,
  pollerEnv,
  SOURCE,
} from './pollerHarness.js';

const BIG = '12345678901234567890123456789012345678';

const put = (env: PollerEnv, pk: string, extra: Record<string, unknown> = {}) =>
  env.source.send(
    new PutItemCommand({
      TableName: env.sourceTable,
      Item: {
        pk: { S: pk },
        n: { N: BIG },
        b: { B: new Uint8Array([0, 255, 128, pk.length]) },
        ...extra,
      } as never,
    }),
  );

const update = (env: PollerEnv, pk: string, value: string) =>
  env.source.send(
    new UpdateItemCommand({
      TableName: env.sourceTable,
      Key: { pk: { S: pk } },
      UpdateExpression: 'SET v = :v',
      ExpressionAttributeValues: { ':v': { S: value } },
    }),
  );

const remove = (env: PollerEnv, pk: string) =>
  env.source.send(new DeleteItemCommand({ TableName: env.sourceTable, Key: { pk: { S: pk } } }));

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const setup = async (options: Parameters<typeof pollerEnv>[0] = {}): Promise<PollerEnv> => {
  const env = await pollerEnv(options);
  cleanups.push(() => env.cleanup());
  return env;
};

const started = (env: PollerEnv, overrides: Parameters<typeof makePoller>[1] = {}) => {
  const made = makePoller(env, overrides);
  cleanups.push(async () => {
    await made.poller.stop().catch(() => undefined);
    made.close();
  });
  return made;
};

describe('StreamPoller', () => {
  it('replicates one-way puts, updates and deletes until the replica converges, and stops on SIGTERM with a checkpoint', async () => {
    // Prepare
    const env = await setup();
    for (let i = 0; i < 8; i += 1) await put(env, `k${i}`);
    const { poller, logger } = started(env);
    const signals = new EventEmitter();
    const run = runUntilSignal(poller, { emitter: signals, onForceExit: () => undefined });

    // Act
    await update(env, 'k1', 'one');
    await update(env, 'k2', 'two');
    await remove(env, 'k3');
    await remove(env, 'k4');
    await put(env, 'k9', {
      m: {
        M: {
          l: {
            L: [
              { N: '-0.000000000000000000000000000000000001' },
              { BS: [new Uint8Array([1]), new Uint8Array([2])] },
            ],
          },
        },
      },
    });

    // Assess
    await assertConverges(env);
    signals.emit('SIGTERM', 'SIGTERM');
    await run;
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    const checkpoint = JSON.parse(await readFile(checkpointPath(env.config, SOURCE), 'utf8'));
    expect(checkpoint.streamArn).toMatch(/stream/);
    const shards = Object.values(checkpoint.shards) as Array<{ sequenceNumber?: string }>;
    expect(shards.some((shard) => shard.sequenceNumber !== undefined)).toBe(true);
    expect(logger.messages('error')).toEqual([]);
  });

  it('resumes from the checkpoint after a restart: only the changes made while stopped are processed', async () => {
    // Prepare
    const env = await setup();
    for (let i = 0; i < 5; i += 1) await put(env, `k${i}`);
    const first = started(env);
    await first.poller.start();
    await assertConverges(env);
    await first.poller.stop();

    // Act
    await put(env, 'new1');
    await put(env, 'new2');
    await put(env, 'new3');
    await update(env, 'k0', 'changed');
    await update(env, 'k1', 'changed');
    await remove(env, 'k2');
    const { totals, onBatch } = countsCollector();
    const second = started(env, { onBatch });
    await second.poller.start();

    // Assess
    await assertConverges(env);
    await vi.waitFor(() => expect(totals.records).toBe(6), { timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(totals).toMatchObject({ records: 6, applied: 6, stale: 0, deadLettered: 0, unfinished: 0 });
  });

  it('reads a batch again from its first unfinished record, after checkpointing the records before it', async () => {
    // Prepare
    const env = await setup();
    for (let i = 0; i < 5; i += 1) await put(env, `k${i}`);
    const calls: string[][] = [];
    const flaky = (replicator: Replicator): Replicator => ({
      ...replicator,
      process: async (records: readonly StreamRecord[], deadlineMs: number) => {
        calls.push(records.map((record) => record.dynamodb?.SequenceNumber ?? ''));
        if (calls.length > 1 || records.length < 3) return replicator.process(records, deadlineMs);
        // The first batch: records #0 and #1 complete, #2 is left unfinished (as after a peer outage).
        const result = await replicator.process(records.slice(0, 2), deadlineMs);
        return { ...result, batchItemFailures: [{ itemIdentifier: records[2]!.dynamodb!.SequenceNumber! }] };
      },
    });
    const { poller, logger } = started(env, {
      wrapReplicator: flaky,
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 50,
    });

    // Act
    await poller.start();

    // Assess
    await assertConverges(env);
    expect(calls[0]).toHaveLength(5);
    expect(calls[1]?.[0]).toBe(calls[0]![2]);
    expect(calls[1]).toEqual(calls[0]!.slice(2));
    expect(logger.messages('warn')).toContain(
      'batch unfinished: reading it again from the first unfinished record',
    );
  });

  it('starts fresh, with a warning, when the checkpoint belongs to an earlier stream of the table', async () => {
    // Prepare
    const env = await setup();
    await new FileCheckpointStore(checkpointPath(env.config, SOURCE)).save({
      streamArn: 'arn:aws:dynamodb:ddblocal:000000000000:table/old/stream/2000-01-01T00:00:00.000',
      shards: { 'shardId-old': { sequenceNumber: '999999999999999999999', finished: false } },
    });
    for (let i = 0; i < 3; i += 1) await put(env, `k${i}`);
    const { poller, logger } = started(env);

    // Act
    await poller.start();

    // Assess
    await assertConverges(env);
    expect(logger.messages('warn')).toContain(
      'the table has a new stream since the last checkpoint (stream disabled and enabled again): starting fresh',
    );
    await poller.stop();
    const saved = await FileCheckpointStore.forRegion(env.config, SOURCE).load();
    expect(saved.streamArn).not.toContain('/old/');
    expect(Object.keys(saved.shards)).not.toContain('shardId-old');
  });

  it('rejects start with config.tableMismatch when the source table has no stream usable by dynasync', async () => {
    // Prepare
    const env = await setup({ createTables: false });
    const { poller } = started(env);

    // Act
    const error = await poller.start().catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'config.tableMismatch' });
    await expect(poller.stopped).rejects.toMatchObject({ code: 'config.tableMismatch' });
  });
});
