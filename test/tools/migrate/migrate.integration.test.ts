import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import type { Config } from '../../../core/config/types.js';
import type { Item } from '../../../core/types.js';
import { createDynamoClients } from '../../../replicator/clients.js';
import { runMigrateCommand } from '../../../tools/migrate/command.js';
import { loadTransform } from '../../../tools/migrate/loadTransform.js';
import { type MigrateReport, migrate } from '../../../tools/migrate/migrate.js';
import { MigrateRegions, migrationConfig } from '../../../tools/migrate/migrationConfig.js';
import { createReplicatedTable } from '../../../tools/tables.js';
import { verify } from '../../../tools/verify/verify.js';
import { REPO_ROOT } from '../../helpers/childRun.js';
import { localEndpoint, uniqueTableName } from '../../helpers/dynamo.js';
import { seededRandom } from '../../support/seededRandom.js';
import { batchPut } from '../verify/verifyHarness.js';
import { legacyOrder } from './orders.js';

const TRANSFORM = join(REPO_ROOT, 'examples', 'migrate-orders', 'transform.mjs');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The new model's table: pk + sk, no stream (nothing reads it). */
const createModelTable = async (client: DynamoDBClient, table: string) => {
  await client.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  for (let i = 0; i < 100; i += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await sleep(100);
  }
};

describe('dynasync migrate: the migrate-orders example, cross-region, under live changes (DynamoDB Local)', () => {
  let dir: string;
  let config: Config;
  let configFile: string;
  let clients: Record<string, DynamoDBClient>;
  let legacy: DynamoDBClient;
  let model: DynamoDBClient;
  const legacyTable = uniqueTableName('legacy');
  const modelTable = uniqueTableName('model');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dynasync-migrate-'));
    const input = {
      version: 1,
      name: 'migrate-test',
      regions: {
        'eu-west-1': { table: legacyTable, endpoint: localEndpoint(0) },
        'us-east-1': { table: modelTable, endpoint: localEndpoint(1) },
      },
      topology: { type: 'active-active' },
      deadLetter: { type: 'file', dir: join(dir, 'dlq') },
      replicator: { checkpointDir: join(dir, 'cp'), startingPosition: 'LATEST', pollIntervalMs: 50 },
      migrate: {
        source: { region: 'eu-west-1', table: legacyTable },
        target: { region: 'us-east-1', table: modelTable },
        transform: TRANSFORM,
      },
    };
    config = parseConfig(input);
    configFile = join(dir, 'dynasync.json');
    await writeFile(configFile, JSON.stringify(input));
    clients = createDynamoClients(config);
    legacy = clients['eu-west-1']!;
    model = clients['us-east-1']!;
    await createReplicatedTable(legacy, legacyTable, { partitionKey: { name: 'orderId', type: 'S' } });
    await createModelTable(model, modelTable);
  });

  afterAll(async () => {
    await legacy.send(new DeleteTableCommand({ TableName: legacyTable })).catch(() => undefined);
    await model.send(new DeleteTableCommand({ TableName: modelTable })).catch(() => undefined);
    for (const client of Object.values(clients)) client.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  const put = (order: Item) =>
    legacy.send(new PutItemCommand({ TableName: legacyTable, Item: order as never }));
  const derived = async (pk: string, sk: string) =>
    (
      await model.send(
        new GetItemCommand({
          TableName: modelTable,
          Key: { pk: { S: pk }, sk: { S: sk } },
          ConsistentRead: true,
        }),
      )
    ).Item;
  /** Rewrites order `id` until the stream sync (not the backfill: its version is the lowest) carries it. */
  const awaitSync = async (id: string) => {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      await put(legacyOrder(id, 1, `attempt-${attempt}`));
      await sleep(200);
      const head = await derived(`ORDER#${id}`, 'ORDER');
      const version = (head?._ds_v as { S: string } | undefined)?.S ?? '';
      if (head?.status !== undefined && !version.startsWith('000000000000000.')) return;
    }
    throw new Error(`the stream sync did not carry order ${id} within 40 s`);
  };

  it('backfills, keeps the new model in sync through updates, key changes and deletes, and reports readiness', async () => {
    // Prepare: 120 legacy orders of 1-4 lines, written before the sync starts (LATEST: not in its reach).
    await batchPut(
      legacy,
      legacyTable,
      Array.from({ length: 120 }, (_, i) => legacyOrder(`o${i}`, (i % 4) + 1)),
    );
    const stopSync = new AbortController();
    let first: MigrateReport | undefined;
    const running = migrate({
      config,
      configFile,
      settleSeconds: 2,
      maxWps: 300,
      pageSize: 20,
      keepSyncingUntil: stopSync.signal,
      onReport: (report) => {
        first = report;
      },
    });
    try {
      await awaitSync('probe-start');

      // Act: live changes while the backfill runs — a key-changing update, a delete, an insert, then a seeded mix.
      await put(legacyOrder('o3', 1)); // 4 lines → 1: ITEM#002-004 become obsolete
      await legacy.send(new DeleteItemCommand({ TableName: legacyTable, Key: { orderId: { S: 'o5' } } }));
      await put(legacyOrder('o500', 3));
      const random = seededRandom(11);
      for (let n = 0; n < 100; n += 1) {
        const id = `o${Math.floor(random() * 130)}`;
        const roll = random();
        if (roll < 0.5) await put(legacyOrder(id, Math.floor(random() * 5), `status-${n}`));
        else if (roll < 0.7)
          await legacy.send(new DeleteItemCommand({ TableName: legacyTable, Key: { orderId: { S: id } } }));
        else await put(legacyOrder(`new-${n}`, 2));
        await sleep(5);
      }
      await awaitSync('probe-end');

      // Assess: transform(legacy) verified against the new model while both stay live.
      const { transform, sourceKeyOf } = await loadTransform(TRANSFORM, configFile);
      const audit = await verify({
        config: migrationConfig(config),
        from: MigrateRegions.source,
        to: MigrateRegions.target,
        transform,
        ...(sourceKeyOf === undefined ? {} : { sourceKeyOf }),
        settleSeconds: 2,
      });
      expect(audit.counts).toMatchObject({ missing: 0, extra: 0, different: 0 });
      expect(audit.inSync).toBe(true);
      expect((await derived('ORDER#o3', 'ITEM#002'))?._ds_del).toEqual({ BOOL: true });
      expect((await derived('ORDER#o500', 'ITEM#003'))?.sku).toEqual({ S: 'sku-2' });
    } finally {
      stopSync.abort();
    }
    const report = await running;
    expect(first).toBe(report);
    expect(report.backfill.complete).toBe(true);
    expect(report.backfill.written).toBeGreaterThan(120); // orders became several items each
    expect(report.stream.failed).toBe(0);
    expect(report.stream.deletes).toBeGreaterThan(0);

    // A second run resumes the stream from its checkpoint and the finished backfill, and says: ready.
    const lines: string[] = [];
    const code = await runMigrateCommand(
      { config: configFile, resume: true, settle: 1, json: true },
      { print: (text) => lines.push(text) },
    );
    const second = JSON.parse(lines.join('\n')) as MigrateReport;
    expect(second.reasons).toEqual([]);
    expect(second.ready).toBe(true);
    expect(code).toBe(0);
    expect(second.backfill.scanned).toBe(0);
  });
});
