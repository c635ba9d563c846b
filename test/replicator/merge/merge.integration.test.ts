import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynasyncMergeClient } from '../../../client/DynasyncMergeClient.js';
import { mergeNamesFor } from '../../../conflict/merge/types.js';
import { decodeItem } from '../../../core/codec.js';
import { type Config, parseConfig } from '../../../core/config/index.js';
import type { Item } from '../../../core/types.js';
import { createDynamoClients, createStreamsClient } from '../../../replicator/clients.js';
import { createReplicator } from '../../../replicator/createReplicator.js';
import { FileCheckpointStore } from '../../../replicator/poller/FileCheckpointStore.js';
import { StreamPoller } from '../../../replicator/poller/StreamPoller.js';
import type { BatchCounts } from '../../../replicator/types.js';
import { createReplicatedTable } from '../../../tools/tables.js';
import { localEndpoint, uniqueTableName } from '../../helpers/dynamo.js';
import { recordingLogger } from '../poller/pollerHarness.js';

/**
 * Merge strategy on two DynamoDB Local instances ("regions"), each with a stream poller replicating to
 * the other: concurrent writes (made while the replicators are stopped, so neither region has seen the
 * other's) must converge, keeping both writes; every conflict is logged and audited without values.
 */

const EU = 'eu-west-1';
const US = 'us-east-1';
const REGIONS = [EU, US] as const;
const names = mergeNamesFor('_ds_');
const spec = { attributes: { views: 'counter', tags: 'set' }, default: 'lww' } as const;
const SECRET_A = 'secret-value-from-eu';
const SECRET_B = 'secret-value-from-us';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const mergePair = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-merge-'));
  const table = uniqueTableName('mg');
  const config: Config = parseConfig({
    version: 1,
    name: 'mg',
    regions: { [EU]: { table, endpoint: localEndpoint(0) }, [US]: { table, endpoint: localEndpoint(1) } },
    topology: { type: 'active-active' },
    conflict: {
      strategy: 'merge',
      attributes: spec.attributes,
      audit: { type: 'file', dir: join(dir, 'audit') },
    },
    replicator: { checkpointDir: join(dir, 'cp'), pollIntervalMs: 50 },
    deadLetter: { type: 'file', dir: join(dir, 'dlq') },
  });
  const clients: Record<string, DynamoDBClient> = createDynamoClients(config);
  await Promise.all(
    REGIONS.map((region) =>
      createReplicatedTable(clients[region]!, table, { partitionKey: { name: 'pk', type: 'S' } }),
    ),
  );
  const logs = { [EU]: recordingLogger(), [US]: recordingLogger() };
  const totals: BatchCounts[] = [];
  const streams: DynamoDBStreamsClient[] = [];
  const pollers: StreamPoller[] = [];
  const pair = {
    dir,
    table,
    logs,
    totals,
    apps: Object.fromEntries(
      REGIONS.map((region) => [region, new DynasyncMergeClient({ client: clients[region]!, region, spec })]),
    ) as Record<string, DynasyncMergeClient>,
    item: async (region: string, pk: string): Promise<Item | undefined> => {
      const { Item: item } = await clients[region]!.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
      );
      if (item === undefined) return undefined;
      const { [names.replicated]: _rep, ...rest } = decodeItem(item);
      return rest;
    },
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
          onBatch: (result) => totals.push(result.counts),
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

type Pair = Awaited<ReturnType<typeof mergePair>>;

const converged = async (pair: Pair, pk: string, check: (item: Item) => void): Promise<Item> => {
  let last: Item | undefined;
  await vi.waitFor(
    async () => {
      const [eu, us] = await Promise.all([pair.item(EU, pk), pair.item(US, pk)]);
      expect(eu).toBeDefined();
      expect(us).toEqual(eu);
      check(eu!);
      last = eu;
    },
    { timeout: 30_000, interval: 200 },
  );
  return last!;
};

describe('merge strategy on DynamoDB Local (two regions)', () => {
  it('concurrent updates to different attributes both survive; concurrent increments add up; each conflict is audited without values', async () => {
    const pair = await mergePair();
    const key = { TableName: pair.table, Key: { pk: { S: 'p1' } } };
    await pair.apps[EU]!.update({ ...key, set: { a: { S: 'a0' }, b: { S: 'b0' } }, add: { views: '10' } });
    await pair.start();
    await converged(pair, 'p1', (item) => expect(item.views).toEqual({ N: '10' }));
    await pair.stop();

    // Concurrent: neither region's replicator runs, so neither write has seen the other.
    await pair.apps[EU]!.update({
      ...key,
      set: { a: { S: SECRET_A } },
      add: { views: '5' },
      addToSet: { tags: { SS: ['eu'] } },
    });
    await pair.apps[US]!.update({
      ...key,
      set: { b: { S: SECRET_B } },
      add: { views: '7' },
      addToSet: { tags: { SS: ['us'] } },
    });
    await pair.start();

    const item = await converged(pair, 'p1', (merged) => {
      expect(merged.a).toEqual({ S: SECRET_A });
      expect(merged.b).toEqual({ S: SECRET_B });
    });
    expect(item.views).toEqual({ N: '22' });
    expect(item.tags).toEqual({ SS: ['eu', 'us'] });
    expect(item[names.clock]).toEqual({ S: `${EU}:2,${US}:1` });

    // The audit: one conflict in each region, with clocks and outcome, and no values anywhere. A
    // region's audit line is appended after its merged write lands, so the files are read until both are there.
    const readAudits = () =>
      Promise.all(
        REGIONS.map((region) =>
          readFile(join(pair.dir, 'audit', `conflicts-${region}.jsonl`), 'utf8').catch(() => ''),
        ),
      );
    const entriesOf = (texts: readonly string[]) =>
      texts.flatMap((text) =>
        text
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line)),
      );
    let audits = await readAudits();
    await vi.waitFor(
      async () => {
        audits = await readAudits();
        expect(entriesOf(audits).length).toBeGreaterThanOrEqual(2);
      },
      { timeout: 30_000, interval: 100 },
    );
    const entries = entriesOf(audits);
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      expect(entry).toMatchObject({ outcome: 'merged', keyHash: expect.stringMatching(/^[0-9a-f]{12}$/) });
      expect(entry.changedAttributes.length).toBeGreaterThan(0);
    }
    expect(entries.map((e) => e.targetRegion).sort()).toEqual([EU, US]);
    const logged = JSON.stringify(Object.values(pair.logs).flatMap((log) => log.lines));
    expect(logged).toContain('"conflict"');
    for (const text of [...audits, logged]) {
      for (const secret of [SECRET_A, SECRET_B, '"p1"']) expect(text).not.toContain(secret);
    }
    expect(pair.totals.reduce((total, counts) => total + (counts.conflicts ?? 0), 0)).toBe(2);
  });
});
