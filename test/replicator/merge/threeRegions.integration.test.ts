import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynasyncClient } from '../../../client/DynasyncClient.js';
import { DynasyncMergeClient } from '../../../client/DynasyncMergeClient.js';
import { decodeItem } from '../../../core/codec.js';
import { parseConfig } from '../../../core/config/index.js';
import type { Item } from '../../../core/types.js';
import { createDynamoClients, createStreamsClient } from '../../../replicator/clients.js';
import { createReplicator } from '../../../replicator/createReplicator.js';
import { FileCheckpointStore } from '../../../replicator/poller/FileCheckpointStore.js';
import { StreamPoller } from '../../../replicator/poller/StreamPoller.js';
import { createReplicatedTable } from '../../../tools/tables.js';
import { REPO_ROOT } from '../../helpers/childRun.js';
import { localEndpoint, uniqueTableName } from '../../helpers/dynamo.js';
import { MemoryDeadLetterSink } from '../../helpers/factories.js';
import { recordingLogger } from '../poller/pollerHarness.js';

/**
 * Three regions (two tables on one DynamoDB Local instance, one on the other), every region writing the
 * same item concurrently, under every strategy: all three must end with the same item.
 */

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-south-1'] as const;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Conflict = object;

const world = async (conflict: Conflict) => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-3r-'));
  const config = parseConfig({
    version: 1,
    name: 'three',
    regions: {
      'eu-west-1': { table: uniqueTableName('eu'), endpoint: localEndpoint(0) },
      'us-east-1': { table: uniqueTableName('us'), endpoint: localEndpoint(1) },
      'ap-south-1': { table: uniqueTableName('ap'), endpoint: localEndpoint(0) },
    },
    topology: { type: 'active-active' },
    conflict,
    replicator: { checkpointDir: join(dir, 'cp'), pollIntervalMs: 50 },
    deadLetter: { type: 'file', dir: join(dir, 'dlq') },
  });
  const clients: Record<string, DynamoDBClient> = createDynamoClients(config);
  await Promise.all(
    REGIONS.map((region) =>
      createReplicatedTable(clients[region]!, config.regions[region]!.table, {
        partitionKey: { name: 'pk', type: 'S' },
      }),
    ),
  );
  const deadLetters = new MemoryDeadLetterSink();
  const streams: DynamoDBStreamsClient[] = [];
  const pollers: StreamPoller[] = [];
  const w = {
    config,
    clients,
    deadLetters,
    table: (region: string) => config.regions[region]!.table,
    item: async (region: string): Promise<Item | undefined> => {
      const { Item: item } = await clients[region]!.send(
        new GetItemCommand({
          TableName: config.regions[region]!.table,
          Key: { pk: { S: 'k' } },
          ConsistentRead: true,
        }),
      );
      if (item === undefined) return undefined;
      const { _ds_rep: _rep, ...rest } = decodeItem(item);
      return rest;
    },
    start: async () => {
      for (const region of REGIONS) {
        const logger = recordingLogger();
        const streamsClient = createStreamsClient(config, region);
        streams.push(streamsClient);
        const poller = new StreamPoller({
          config,
          region,
          replicator: createReplicator({ config, region, clients, logger, deadLetters }),
          streamsClient,
          dynamoClient: clients[region]!,
          checkpoints: FileCheckpointStore.forRegion(config, region),
          logger,
          statsIntervalMs: 0,
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
    await w.stop();
    for (const client of [...Object.values(clients), ...streams]) client.destroy();
    await rm(dir, { recursive: true, force: true });
  });
  return w;
};

type World = Awaited<ReturnType<typeof world>>;

const converged = async (w: World): Promise<Item> => {
  let last: Item | undefined;
  await vi.waitFor(
    async () => {
      const items = await Promise.all(REGIONS.map((region) => w.item(region)));
      expect(items[0]).toBeDefined();
      expect(items[1]).toEqual(items[0]);
      expect(items[2]).toEqual(items[0]);
      last = items[0];
    },
    { timeout: 40_000, interval: 250 },
  );
  return last!;
};

const MERGE_SPEC = { attributes: { views: 'counter', tags: 'set' } } as const;

interface MergeCase {
  readonly strategy: 'merge';
  readonly attributes: Readonly<Record<string, string>>;
  readonly default?: 'lww' | 'item';
  readonly module?: string;
}

describe('three regions writing the same item concurrently converge on DynamoDB Local', () => {
  it.each<[string, MergeCase]>([
    ['merge, per-attribute LWW', { strategy: 'merge', ...MERGE_SPEC, default: 'lww' }],
    ['merge, whole-item LWW', { strategy: 'merge', ...MERGE_SPEC, default: 'item' }],
    [
      'merge, user module',
      { strategy: 'merge', ...MERGE_SPEC, module: join(REPO_ROOT, 'examples/merges/newestWins.mjs') },
    ],
  ])('%s', async (_label, conflict) => {
    const w = await world(conflict);
    const spec = {
      attributes: MERGE_SPEC.attributes,
      default: (conflict.default ?? 'lww') as 'lww' | 'item',
    };
    const apps = Object.fromEntries(
      REGIONS.map((region) => [
        region,
        new DynasyncMergeClient({ client: w.clients[region]!, region, spec }),
      ]),
    );
    const key = (region: string) => ({ TableName: w.table(region), Key: { pk: { S: 'k' } } });
    await apps['eu-west-1']!.update({
      ...key('eu-west-1'),
      set: { title: { S: 'base' } },
      add: { views: '1' },
    });
    await w.start();
    await converged(w);
    await w.stop();
    await Promise.all(
      REGIONS.map((region, i) =>
        apps[region]!.update({
          ...key(region),
          set: { [`by-${region}`]: { S: region } },
          add: { views: String(i + 1) },
          addToSet: { tags: { SS: [region] } },
        }),
      ),
    );
    await w.start();
    const item = await converged(w);
    expect(w.deadLetters.entries).toEqual([]);
    if (conflict.module === undefined) {
      expect(item.views).toEqual({ N: '7' });
      expect(item.tags).toEqual({ SS: [...REGIONS].sort() });
      expect(item._ds_vc).toEqual({ S: 'ap-south-1:1,eu-west-1:2,us-east-1:1' });
    }
    if (conflict.default === 'lww')
      for (const region of REGIONS) expect(item[`by-${region}`]).toEqual({ S: region });
  });

  it('lww', async () => {
    const w = await world({ strategy: 'lww' });
    const apps = Object.fromEntries(
      REGIONS.map((region) => [region, new DynasyncClient({ client: w.clients[region]!, region })]),
    );
    await apps['eu-west-1']!.put({
      TableName: w.table('eu-west-1'),
      Item: { pk: { S: 'k' }, title: { S: 'base' } },
    });
    await w.start();
    await converged(w);
    await w.stop();
    await Promise.all(
      REGIONS.map((region) =>
        apps[region]!.update({
          TableName: w.table(region),
          Key: { pk: { S: 'k' } },
          UpdateExpression: 'SET title = :t',
          ExpressionAttributeValues: { ':t': { S: region } },
        }),
      ),
    );
    await w.start();
    const item = await converged(w);
    expect(REGIONS as readonly string[]).toContain((item.title as { S: string }).S);
    expect(w.deadLetters.entries).toEqual([]);
  });
});
