import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { ErrorCodes } from '../../core/errors.js';
import { MAX_ITEM_BYTES } from '../../core/itemSize.js';
import { PeerWriter } from '../../replicator/PeerWriter.js';
import { planBatch } from '../../replicator/planBatch.js';
import type { PlannedWrite } from '../../replicator/types.js';
import {
  FakeTable,
  fakeWriter,
  ManualClock,
  names,
  planContext,
  stamped,
  streamRecord,
  version,
} from '../helpers/factories.js';

const PEER = 'us-east-1';

const writeOf = (pk: string, at: number, extra: Record<string, { S: string }> = {}): PlannedWrite =>
  planBatch(
    [streamRecord({ newImage: stamped({ pk: { S: pk }, ...extra }, version(at)) })],
    planContext({ peers: [PEER] }),
  ).writes[0]!;

const later = () => Date.now() + 60_000;

describe('PeerWriter', () => {
  it('applies a write to an empty peer', async () => {
    // Prepare
    const peer = new FakeTable({ region: PEER });
    const write = writeOf('k1', 1000);

    // Act
    const result = await fakeWriter([peer]).send(write, later());

    // Assess
    expect(result.outcome).toBe('applied');
    expect(result.attempts).toBe(1);
    expect(peer.get({ pk: { S: 'k1' } })).toStrictEqual(write.change.item);
  });

  it('reports a duplicate or older write as stale, not as an error', async () => {
    const peer = new FakeTable({ region: PEER });
    const writer = fakeWriter([peer]);
    await writer.send(writeOf('k1', 2000), later());

    const duplicate = await writer.send(writeOf('k1', 2000), later());
    const older = await writer.send(writeOf('k1', 1000), later());

    expect([duplicate.outcome, older.outcome]).toStrictEqual(['stale', 'stale']);
    expect(duplicate.error).toBeUndefined();
    expect(peer.get({ pk: { S: 'k1' } })?._ds_v).toStrictEqual({ S: writeOf('k1', 2000).change.versionText });
  });

  it.each(['throttling', 'provisioned', 'internal', 'network'] as const)(
    'retries %s failures until the write goes through',
    async (kind) => {
      // Prepare
      const peer = new FakeTable({ region: PEER });
      peer.fail(kind, { times: 3 });
      const onRetry = vi.fn();
      const sleep = vi.fn(async () => undefined);

      // Act
      const result = await fakeWriter([peer], { onRetry, sleep }).send(writeOf('k1', 1000), later());

      // Assess
      expect(result.outcome).toBe('applied');
      expect(result.attempts).toBe(4);
      expect(onRetry).toHaveBeenCalledTimes(3);
      expect(sleep).toHaveBeenCalledTimes(3);
      expect(result.firstFailureAt).toBeDefined();
    },
  );

  it('waits with bounded, growing backoff between retries', async () => {
    const peer = new FakeTable({ region: PEER });
    peer.fail('throttling', { times: 5 });
    const delays: number[] = [];

    await fakeWriter([peer], {
      sleep: async (ms) => void delays.push(ms),
      random: () => 0.999,
      baseDelayMs: 10,
      maxDelayMs: 50,
    }).send(writeOf('k1', 1000), later());

    expect(delays).toStrictEqual([9, 19, 39, 49, 49]);
  });

  it('turns a ValidationException into a permanent replicator.writeRejected with the AWS error as cause', async () => {
    const peer = new FakeTable({ region: PEER });
    peer.fail('validation');

    const result = await fakeWriter([peer]).send(writeOf('k1', 1000), later());

    expect(result.outcome).toBe('permanent');
    expect(result.error?.code).toBe(ErrorCodes.replicator.writeRejected);
    expect(result.error?.payload).toMatchObject({ peer: PEER, awsError: 'ValidationException' });
    expect((result.error?.cause as Error | undefined)?.name).toBe('ValidationException');
    expect(peer.calls).toHaveLength(1);
  });

  it('reports the size ValidationException as replicator.itemTooLarge', async () => {
    const peer = new FakeTable({ region: PEER });
    peer.fail('tooLarge');

    const result = await fakeWriter([peer]).send(writeOf('k1', 1000), later());

    expect(result.error?.code).toBe(ErrorCodes.replicator.itemTooLarge);
  });

  it('does not send an item larger than 400 KB with its metadata', async () => {
    const peer = new FakeTable({ region: PEER });
    const write = writeOf('k1', 1000, { blob: { S: 'x'.repeat(MAX_ITEM_BYTES - 20) } });

    const result = await fakeWriter([peer]).send(write, later());

    expect(result.outcome).toBe('permanent');
    expect(result.error?.code).toBe(ErrorCodes.replicator.itemTooLarge);
    expect(result.attempts).toBe(0);
    expect(peer.calls).toHaveLength(0);
  });

  it('leaves a write unfinished, without sending, when the deadline has passed', async () => {
    const peer = new FakeTable({ region: PEER });

    const result = await fakeWriter([peer]).send(writeOf('k1', 1000), Date.now() - 1);

    expect(result.outcome).toBe('unfinished');
    expect(peer.calls).toHaveLength(0);
  });

  it('gives up retrying at the deadline and leaves the write unfinished', async () => {
    // Prepare
    const clock = new ManualClock();
    const peer = new FakeTable({ region: PEER });
    peer.fail('throttling', { times: Number.POSITIVE_INFINITY });
    const deadline = clock.ms + 1_000;

    // Act
    const result = await fakeWriter([peer], { now: clock.now, sleep: clock.sleep }).send(
      writeOf('k1', 1000),
      deadline,
    );

    // Assess
    expect(result.outcome).toBe('unfinished');
    expect(result.error?.code).toBe(ErrorCodes.replicator.writeRejected);
    expect((result.error?.cause as Error | undefined)?.name).toBe('ThrottlingException');
    expect(clock.ms, 'never sleeps past the deadline').toBeLessThan(deadline);
    expect(peer.calls.length).toBeGreaterThan(1);
  });

  it('reports the attempts an unfinished write made', async () => {
    const clock = new ManualClock();
    const peer = new FakeTable({ region: PEER });
    peer.fail('throttling', { times: Number.POSITIVE_INFINITY });

    const result = await fakeWriter([peer], { now: clock.now, sleep: clock.sleep }).send(
      writeOf('k1', 1000),
      clock.ms + 1_000,
    );

    expect(result.attempts).toBe(peer.calls.length);
  });

  it('sends every write of sendAll, at most `concurrency` at once', async () => {
    // Prepare
    let inFlight = 0;
    let most = 0;
    const client = {
      send: async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight -= 1;
        return {};
      },
    } as unknown as DynamoDBClient;
    const writer = new PeerWriter({
      peers: { [PEER]: { client, tableName: 'Orders' } },
      names,
      concurrency: 3,
    });
    const writes = Array.from({ length: 10 }, (_, i) => writeOf(`k${i}`, 1000));

    // Act
    const results = await writer.sendAll(writes, later());

    // Assess
    expect(results.map((r) => r.outcome)).toStrictEqual(Array(10).fill('applied'));
    expect(most).toBe(3);
  });

  it('throws for a peer it has no client for (a wiring bug, not a DynamoDB error)', async () => {
    await expect(fakeWriter([]).send(writeOf('k1', 1000), later())).rejects.toThrow(Error);
  });
});
