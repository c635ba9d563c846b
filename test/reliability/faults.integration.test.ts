import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynasyncClient } from '../../client/DynasyncClient.js';
import { type Config, metadataNames, parseConfig } from '../../core/config/index.js';
import { itemsEqual } from '../../core/equality.js';
import { createDynamoClients, createStreamsClient } from '../../replicator/clients.js';
import { createReplicator, deadLetterPath } from '../../replicator/createReplicator.js';
import { FileDeadLetterSink } from '../../replicator/deadLetter/FileDeadLetterSink.js';
import { FileCheckpointStore } from '../../replicator/poller/FileCheckpointStore.js';
import { StreamPoller } from '../../replicator/poller/StreamPoller.js';
import type { BatchCounts } from '../../replicator/types.js';
import { runWorkload, type WorkloadCounts } from '../../tools/demo/workload.js';
import { createReplicatedTable } from '../../tools/tables.js';
import { localClient, localEndpoint, uniqueTableName } from '../helpers/dynamo.js';
import { type FaultRates, mulberry32 } from '../helpers/faultProxy.js';
import { type RecordingLogger, recordingLogger, visibleItems } from '../replicator/poller/pollerHarness.js';
import {
  compareRegions,
  EU,
  faultSeed,
  faultsByOperation,
  faultTotals,
  printFigures,
  REGIONS,
  type RegionProxies,
  requestsByOperation,
  startRegionProxies,
  sumOf,
  US,
} from './reliabilityHarness.js';

/**
 * Replication in-process (StreamPoller + createReplicator, as `dynasync run` wires them) where
 * every DynamoDB and DynamoDB Streams call of the replicators goes through a fault proxy: throttling,
 * 500s, dropped connections, slow answers, and writes applied whose answer is lost. Applications
 * write straight to DynamoDB Local. Every replica converges; nothing is lost; nothing is
 * dead-lettered, since every fault is transient.
 */

const RATES: FaultRates = {
  throttle: 0.1,
  drop: 0.02,
  dropAfterForward: 0.01,
  serverError: 0.02,
  slow: 0.03,
};

interface Deployment {
  readonly config: Config;
  readonly table: string;
  /** Straight to DynamoDB Local: for applications and assertions. */
  readonly direct: Record<string, DynamoDBClient>;
  readonly proxies: RegionProxies;
  readonly seed: number;
  readonly totals: Record<string, BatchCounts[]>;
  readonly logs: Record<string, RecordingLogger>;
  /** Start-ups that failed on an injected fault and were tried again. */
  readonly startFailures: string[];
  startPollers(regions: readonly string[]): Promise<void>;
  stopPollers(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const deploy = async (topology: Config['topology']): Promise<Deployment> => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-faults-'));
  const table = uniqueTableName('flt');
  const seed = faultSeed();
  const direct: Record<string, DynamoDBClient> = { [EU]: localClient(0), [US]: localClient(1) };
  await Promise.all(
    REGIONS.map((region) =>
      createReplicatedTable(direct[region]!, table, { partitionKey: { name: 'pk', type: 'S' } }),
    ),
  );
  // No faults while the tables are made; every replicator call goes through the proxies.
  const proxies = await startRegionProxies({ [EU]: localEndpoint(0), [US]: localEndpoint(1) }, {}, seed);
  const config = parseConfig({
    version: 1,
    name: 'faults',
    regions: {
      [EU]: { table, endpoint: proxies.endpoints[EU] },
      [US]: { table, endpoint: proxies.endpoints[US] },
    },
    topology,
    replicator: { checkpointDir: join(dir, 'cp'), pollIntervalMs: 50, maxDelayMs: 500 },
    deadLetter: { type: 'file', dir: join(dir, 'dlq') },
  });
  for (const proxy of Object.values(proxies.proxies)) proxy.setRates(RATES);
  const clients = createDynamoClients(config);
  const streams: DynamoDBStreamsClient[] = [];
  const pollers: StreamPoller[] = [];
  const totals: Record<string, BatchCounts[]> = { [EU]: [], [US]: [] };
  const logs: Record<string, RecordingLogger> = { [EU]: recordingLogger(), [US]: recordingLogger() };
  const startFailures: string[] = [];

  /** Starts a region's poller; a start-up that fails on a fault is tried again, as a supervisor would. */
  const startPoller = async (region: string): Promise<void> => {
    const replicator = createReplicator({ config, region, clients, logger: logs[region]! });
    for (let attempt = 1; ; attempt += 1) {
      const streamsClient = createStreamsClient(config, region);
      const poller = new StreamPoller({
        config,
        region,
        replicator,
        streamsClient,
        dynamoClient: clients[region]!,
        checkpoints: FileCheckpointStore.forRegion(config, region),
        logger: logs[region]!,
        statsIntervalMs: 0,
        retryBaseDelayMs: 100,
        retryMaxDelayMs: 1_000,
        discoveryIntervalMs: 2_000,
        onBatch: (result) => totals[region]!.push(result.counts),
      });
      try {
        await poller.start();
        pollers.push(poller);
        streams.push(streamsClient);
        return;
      } catch (error) {
        streamsClient.destroy();
        startFailures.push(`${region}: ${(error as Error).name}: ${(error as Error).message.slice(0, 120)}`);
        if (attempt >= 20) throw error;
        await sleep(100);
      }
    }
  };

  const deployment: Deployment = {
    config,
    table,
    direct,
    proxies,
    seed,
    totals,
    logs,
    startFailures,
    startPollers: async (regions) => {
      for (const region of regions) await startPoller(region);
    },
    stopPollers: async () => {
      await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
    },
  };
  cleanups.push(async () => {
    await deployment.stopPollers();
    for (const client of [...Object.values(clients), ...streams, ...Object.values(direct)]) client.destroy();
    await proxies.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return deployment;
};

const deadLetters = async (deployment: Deployment, region: string) =>
  new FileDeadLetterSink(deadLetterPath(deployment.config, region)).readAll();

const warnings = (logger: RecordingLogger, message: string) =>
  logger.messages('warn').filter((line) => line === message).length;

/** The figures of a run, printed and returned for assertions. */
const figures = async (
  deployment: Deployment,
  title: string,
  appWrites: Record<string, number>,
  lost: number,
): Promise<{ retried: number; deadLettered: number }> => {
  const all = REGIONS.flatMap((region) => deployment.totals[region]!);
  const letters = (await deadLetters(deployment, EU)).length + (await deadLetters(deployment, US)).length;
  const faults = faultTotals(deployment.proxies.proxies);
  const retried = sumOf(all, (c) => c.retried);
  printFigures(title, {
    seed: `${deployment.seed} (replay: FAULT_SEED=${deployment.seed})`,
    'app writes': appWrites,
    'records processed': sumOf(all, (c) => c.records),
    'peer writes applied': sumOf(all, (c) => c.applied),
    'peer writes stale': sumOf(all, (c) => c.stale),
    'echoes skipped': sumOf(all, (c) => c.skipped.echo),
    'requests via proxies': `${faults.requests}: ${requestsByOperation(deployment.proxies.proxies)}`,
    'faults injected': Object.fromEntries(Object.entries(faults).filter(([kind]) => kind !== 'requests')),
    'faults by operation': faultsByOperation(deployment.proxies.proxies),
    'retries (in batch)': retried,
    'batches re-read': REGIONS.reduce(
      (n, region) =>
        n +
        warnings(
          deployment.logs[region]!,
          'batch unfinished: reading it again from the first unfinished record',
        ),
      0,
    ),
    'stream reads retried': REGIONS.reduce(
      (n, region) => n + warnings(deployment.logs[region]!, 'stream read failed; retrying'),
      0,
    ),
    'start-ups retried': deployment.startFailures.length,
    'dead-lettered': letters,
    lost,
  });
  return { retried, deadLettered: letters };
};

const expectFaultsInjected = (deployment: Deployment): void => {
  const faults = faultTotals(deployment.proxies.proxies);
  // Rare kinds (1-2%) may by chance not hit a short run; the figures print them all.
  expect(faults.throttle).toBeGreaterThan(0);
  expect(
    faults.throttle + faults.drop + faults.dropAfterForward + faults.serverError + faults.slow,
  ).toBeGreaterThan(10);
};

/**
 * A one-way source application, `operations` writes by 4 workers: plain PutItem / UpdateItem /
 * DeleteItem, some through the client helper. A count, not a duration, so a slow machine still
 * sends enough requests through the faults.
 */
const oneWayWorkload = async (
  deployment: Deployment,
  operations: number,
): Promise<Record<string, number>> => {
  const random = mulberry32(deployment.seed);
  const client = deployment.direct[EU]!;
  const helper = new DynasyncClient({ client, region: EU });
  const { table } = deployment;
  const counts = { puts: 0, updates: 0, deletes: 0, stamped: 0 };
  let issued = 0;
  const worker = async () => {
    while (issued < operations) {
      issued += 1;
      const pk = { S: `k${Math.floor(random() * 400)}` };
      const roll = random();
      if (roll < 0.4) {
        counts.puts += 1;
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: { pk, n: { N: String(Math.floor(random() * 1e6)) }, seenAt: { N: String(Date.now()) } },
          }),
        );
      } else if (roll < 0.7) {
        counts.updates += 1;
        await client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk },
            UpdateExpression: 'ADD hits :one SET seenAt = :at',
            ExpressionAttributeValues: { ':one': { N: '1' }, ':at': { N: String(Date.now()) } },
          }),
        );
      } else if (roll < 0.85) {
        counts.deletes += 1;
        await client.send(new DeleteItemCommand({ TableName: table, Key: { pk } }));
      } else {
        counts.stamped += 1;
        await helper.put({ TableName: table, Item: { pk, stamped: { BOOL: true } } });
      }
      await sleep(25);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return counts;
};

describe('replication through injected faults (10% throttling, drops, 500s, slow, applied-but-reset)', () => {
  it('one-way: the replica converges to the source, nothing lost, nothing dead-lettered', async () => {
    // Prepare
    const deployment = await deploy({ type: 'one-way', from: EU, to: [US] });
    await deployment.startPollers([EU]);

    // Act
    const appWrites = await oneWayWorkload(deployment, 320);

    // Assess: the replica shows exactly the source's items (one-way versions come from the stream, so
    // the comparison is of what applications see: metadata stripped, tombstones hidden).
    const { table, direct } = deployment;
    let lost = Number.NaN;
    await vi.waitFor(
      async () => {
        const [source, replica] = await Promise.all([
          visibleItems(direct[EU]!, table),
          visibleItems(direct[US]!, table),
        ]);
        const missing = [...source.keys()].filter((key) => !replica.has(key));
        const different = [...source.keys()].filter(
          (key) => replica.has(key) && !itemsEqual(source.get(key)!, replica.get(key)!),
        );
        const extra = [...replica.keys()].filter((key) => !source.has(key));
        lost = missing.length + different.length + extra.length;
        expect({ missing, different, extra }).toEqual({ missing: [], different: [], extra: [] });
      },
      { timeout: 60_000, interval: 500 },
    );
    await deployment.stopPollers();
    const { retried, deadLettered } = await figures(deployment, 'one-way under faults', appWrites, lost);
    expect(lost).toBe(0);
    expect(deadLettered).toBe(0);
    expect(retried).toBeGreaterThan(0);
    expectFaultsInjected(deployment);
  }, 90_000);

  it('active-active: both regions converge (compareTables: no difference), nothing lost, nothing dead-lettered', async () => {
    // Prepare
    const deployment = await deploy({ type: 'active-active' });
    await deployment.startPollers(REGIONS);
    const counts: WorkloadCounts = { puts: 0, updates: 0, deletes: 0, concurrent: 0, errors: 0 };

    // Act: a mixed workload in both regions at once, concurrent writes of one key included.
    await runWorkload(
      {
        regions: REGIONS.map((region) => ({
          name: region,
          client: new DynasyncClient({ client: deployment.direct[region]!, region }),
          table: deployment.table,
        })),
        keys: 150,
        ratePerRegion: 30,
        durationMs: 8_000,
        random: mulberry32(deployment.seed),
      },
      counts,
    );

    // Assess
    let lost = Number.NaN;
    await vi.waitFor(
      async () => {
        const comparison = await compareRegions(
          deployment.direct,
          deployment.table,
          metadataNames(deployment.config),
        );
        lost = comparison.differences.length;
        expect(comparison.differences).toEqual([]);
      },
      { timeout: 60_000, interval: 500 },
    );
    await deployment.stopPollers();
    const { retried, deadLettered } = await figures(
      deployment,
      'active-active under faults',
      { ...counts },
      lost,
    );
    expect(counts.errors).toBe(0);
    expect(lost).toBe(0);
    expect(deadLettered).toBe(0);
    expect(retried).toBeGreaterThan(0);
    expectFaultsInjected(deployment);
  }, 90_000);
});
