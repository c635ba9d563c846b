import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynasyncClient } from '../../../client/DynasyncClient.js';
import { compareVersions, decodeVersion } from '../../../conflict/version.js';
import { encodeItem } from '../../../core/codec.js';
import { type Config, metadataNames, parseConfig } from '../../../core/config/index.js';
import type { Item } from '../../../core/types.js';
import { createDynamoClients, createStreamsClient } from '../../../replicator/clients.js';
import { createReplicator, deadLetterPath } from '../../../replicator/createReplicator.js';
import { FileDeadLetterSink } from '../../../replicator/deadLetter/FileDeadLetterSink.js';
import { FileCheckpointStore } from '../../../replicator/poller/FileCheckpointStore.js';
import { StreamPoller } from '../../../replicator/poller/StreamPoller.js';
import type { BatchCounts } from '../../../replicator/types.js';
import { compareTables } from '../../../tools/compareTables.js';
import { createReplicatedTable } from '../../../tools/tables.js';
import { localEndpoint, readWholeStream, uniqueTableName } from '../../helpers/dynamo.js';
import { streamRecord } from '../../helpers/factories.js';
import { recordingLogger } from '../poller/pollerHarness.js';

const EU = 'eu-west-1';
const US = 'us-east-1';
const REGIONS = [EU, US] as const;

interface Pair {
  readonly config: Config;
  readonly clients: Record<string, DynamoDBClient>;
  readonly apps: Record<string, DynasyncClient>;
  readonly totals: Record<string, BatchCounts[]>;
  readonly logs: Record<string, ReturnType<typeof recordingLogger>>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Two regions, active-active, a replicator (stream poller) per region, a stamping client per region. */
const activeActivePair = async (): Promise<Pair> => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-aa-'));
  const table = uniqueTableName('aa');
  const config = parseConfig({
    version: 1,
    name: 'aa',
    regions: { [EU]: { table, endpoint: localEndpoint(0) }, [US]: { table, endpoint: localEndpoint(1) } },
    topology: { type: 'active-active' },
    replicator: { checkpointDir: join(dir, 'cp'), pollIntervalMs: 50 },
    deadLetter: { type: 'file', dir: join(dir, 'dlq') },
  });
  const clients = createDynamoClients(config);
  await Promise.all(
    REGIONS.map((region) =>
      createReplicatedTable(clients[region]!, table, { partitionKey: { name: 'pk', type: 'S' } }),
    ),
  );
  const streams: DynamoDBStreamsClient[] = [];
  const pollers: StreamPoller[] = [];
  const totals: Record<string, BatchCounts[]> = { [EU]: [], [US]: [] };
  const logs = { [EU]: recordingLogger(), [US]: recordingLogger() };
  const pair: Pair = {
    config,
    clients,
    apps: Object.fromEntries(
      REGIONS.map((region) => [region, new DynasyncClient({ client: clients[region]!, region })]),
    ),
    totals,
    logs,
    start: async () => {
      for (const region of REGIONS) {
        const streamsClient = createStreamsClient(config, region);
        streams.push(streamsClient);
        const poller = new StreamPoller({
          config,
          region,
          replicator: createReplicator({ config, region, clients, logger: logs[region]! }),
          streamsClient,
          dynamoClient: clients[region]!,
          checkpoints: FileCheckpointStore.forRegion(config, region),
          logger: logs[region]!,
          statsIntervalMs: 0,
          onBatch: (result) => totals[region]!.push(result.counts),
        });
        pollers.push(poller);
        await poller.start();
      }
    },
    stop: async () => {
      await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
    },
  };
  cleanups.push(async () => {
    await pair.stop();
    for (const client of [...Object.values(clients), ...streams]) client.destroy();
    await rm(dir, { recursive: true, force: true });
  });
  return pair;
};

const converged = async (pair: Pair): Promise<void> => {
  const table = pair.config.regions[EU]!.table;
  await vi.waitFor(
    async () => {
      const comparison = await compareTables(
        { client: pair.clients[EU]!, table },
        { client: pair.clients[US]!, table },
        ['pk'],
        metadataNames(pair.config),
      );
      expect(comparison.differences).toEqual([]);
    },
    { timeout: 30_000, interval: 200 },
  );
};

/** Every record of a region's stream from the start (all shards). */
const streamRecordsOf = (pair: Pair, region: string) =>
  readWholeStream(
    pair.clients[region]!,
    pair.config.regions[region]!.endpoint!,
    pair.config.regions[region]!.table,
  );

const sum = (counts: BatchCounts[], pick: (c: BatchCounts) => number) =>
  counts.reduce((total, c) => total + pick(c), 0);

describe('active-active replication on two DynamoDB Local instances', () => {
  it('converges under concurrent puts, updates and deletes of the same keys in both regions', async () => {
    // Prepare
    const pair = await activeActivePair();
    const table = pair.config.regions[EU]!.table;
    await pair.start();

    // Act: both regions write the same 30 keys at the same moments, several rounds.
    for (let round = 0; round < 6; round += 1) {
      await Promise.all(
        REGIONS.flatMap((region) =>
          Array.from({ length: 30 }, (_, i) => {
            const key = { pk: { S: `k${i}` } };
            const app = pair.apps[region]!;
            if ((i + round) % 7 === 0) return app.delete({ TableName: table, Key: key });
            if ((i + round) % 3 === 0) {
              return app.update({
                TableName: table,
                Key: key,
                UpdateExpression: 'SET note = :n ADD hits :one',
                ExpressionAttributeValues: { ':n': { S: `${region}-${round}` }, ':one': { N: '1' } },
              });
            }
            return app.put({
              TableName: table,
              Item: {
                ...key,
                by: { S: region },
                round: { N: String(round) },
                big: { N: '98765432109876543210987654321098765432' },
              },
            });
          }),
        ),
      );
    }

    // Assess: same items, same versions, in both regions; every key holds the newest version written anywhere.
    await converged(pair);
    const euItem = await pair.clients[EU]!.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'k1' } }, ConsistentRead: true }),
    );
    const usItem = await pair.clients[US]!.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'k1' } }, ConsistentRead: true }),
    );
    expect(euItem.Item?._ds_v).toEqual(usItem.Item?._ds_v);
    const dead = await new FileDeadLetterSink(deadLetterPath(pair.config, EU)).readAll();
    expect(dead).toEqual([]);
  });

  it('never ships a replicated write back: no ping-pong, counted by stream records', async () => {
    const pair = await activeActivePair();
    const table = pair.config.regions[EU]!.table;
    await pair.start();

    for (let i = 0; i < 40; i += 1)
      await pair.apps[EU]!.put({ TableName: table, Item: { pk: { S: `e${i}` }, n: { N: String(i) } } });
    await converged(pair);
    // Give any echo a chance to travel back before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    const euRecords = await streamRecordsOf(pair, EU);
    const usRecords = await streamRecordsOf(pair, US);
    expect(euRecords).toHaveLength(40); // only the application's own writes
    expect(usRecords).toHaveLength(40); // one replicated write per change
    expect(sum(pair.totals[US]!, (c) => c.skipped.echo)).toBe(40);
    expect(sum(pair.totals[US]!, (c) => c.applied)).toBe(0);
    expect(sum(pair.totals[EU]!, (c) => c.applied + c.stale)).toBe(40);
  });

  it('keeps a deleted item deleted when an older write arrives after the tombstone', async () => {
    const pair = await activeActivePair();
    const table = pair.config.regions[EU]!.table;
    await pair.start();
    await pair.apps[EU]!.put({ TableName: table, Item: { pk: { S: 'gone' }, v: { S: 'old' } } });
    await converged(pair);
    const { Item: before } = await pair.clients[EU]!.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'gone' } }, ConsistentRead: true }),
    );

    await pair.apps[US]!.delete({ TableName: table, Key: { pk: { S: 'gone' } } });
    await converged(pair);
    // A redelivery of the old insert (duplicate / retry / reordering across regions) reaches the US region late.
    const lateReplicator = createReplicator({
      config: pair.config,
      region: EU,
      clients: pair.clients,
      logger: recordingLogger(),
    });
    const late = await lateReplicator.process(
      [streamRecord({ newImage: encodeItem(before as Item), region: EU })],
      Date.now() + 10_000,
    );

    expect(late.counts.stale).toBe(1);
    expect(late.counts.applied).toBe(0);
    const seen = await pair.apps[US]!.get({
      TableName: table,
      Key: { pk: { S: 'gone' } },
      ConsistentRead: true,
    });
    expect(seen.Item).toBeUndefined();
    const { Item: tombstone } = await pair.clients[US]!.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'gone' } }, ConsistentRead: true }),
    );
    expect(
      compareVersions(decodeVersion(tombstone!._ds_v!.S!), decodeVersion(before!._ds_v!.S!)),
    ).toBeGreaterThan(0);
  });

  it('rejects an unstamped application write loudly: dead-lettered whole, counted, not shipped', async () => {
    const pair = await activeActivePair();
    const table = pair.config.regions[EU]!.table;
    await pair.start();

    await pair.clients[EU]!.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'raw' }, n: { N: '1' } } }),
    );
    await pair.apps[EU]!.put({ TableName: table, Item: { pk: { S: 'stamped' }, n: { N: '2' } } });

    const sink = new FileDeadLetterSink(deadLetterPath(pair.config, EU));
    await vi.waitFor(async () => expect(await sink.readAll()).toHaveLength(1), {
      timeout: 20_000,
      interval: 100,
    });
    await vi.waitFor(
      async () => {
        const { Item } = await pair.clients[US]!.send(
          new GetItemCommand({ TableName: table, Key: { pk: { S: 'stamped' } }, ConsistentRead: true }),
        );
        expect(Item?.n).toEqual({ N: '2' });
      },
      { timeout: 20_000, interval: 100 },
    );
    const [letter] = await sink.readAll();
    expect(letter?.error.code).toBe('replicator.unstampedWrite');
    expect(letter?.record.dynamodb?.NewImage).toEqual({ pk: { S: 'raw' }, n: { N: '1' } });
    expect(letter?.targetRegions).toEqual([US]);
    const { Item: raw } = await pair.clients[US]!.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'raw' } }, ConsistentRead: true }),
    );
    expect(raw).toBeUndefined();
    expect(pair.logs[EU]!.messages('warn')).toContain('record dead-lettered');
  });
});
