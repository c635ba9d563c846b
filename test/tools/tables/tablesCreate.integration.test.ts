import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import type { Config } from '../../../core/config/types.js';
import { ErrorCodes, isDynasyncError } from '../../../core/errors.js';
import { checkTables } from '../../../replicator/poller/checkTables.js';
import { createReadClients } from '../../../tools/_shared/createReadClients.js';
import { describeTable } from '../../../tools/_shared/describeTable.js';
import { DEFAULT_RETRY } from '../../../tools/_shared/withRetries.js';
import { runTablesCreate } from '../../../tools/tables/command.js';
import { localEndpoint, uniqueTableName } from '../../helpers/dynamo.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A one-way pair on the two DynamoDB Local instances, with fresh table names, and its clients. */
const pair = (extra: Record<string, unknown> = {}) => {
  const config = parseConfig({
    version: 1,
    name: 'tables-create',
    regions: {
      'eu-west-1': { table: uniqueTableName('src'), endpoint: localEndpoint(0) },
      'us-east-1': { table: uniqueTableName('dst'), endpoint: localEndpoint(1) },
    },
    topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
    ...extra,
  });
  const clients = createReadClients(config);
  cleanups.push(async () => {
    for (const [region, client] of Object.entries(clients)) {
      await client
        .send(new DeleteTableCommand({ TableName: config.regions[region]!.table }))
        .catch(() => undefined);
      client.destroy();
    }
  });
  return { config, clients };
};

const shape = async (client: DynamoDBClient, table: string) => {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
  const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
  return {
    keys: Table?.KeySchema,
    definitions: Table?.AttributeDefinitions,
    stream: Table?.StreamSpecification,
    ttl: TimeToLiveDescription?.AttributeName,
  };
};

const rejection = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isDynasyncError(error)) throw new Error(`expected a DynasyncError, got ${String(error)}`);
  return error;
};

const run = async (config: Config, clients: Record<string, DynamoDBClient>, options = {}) => {
  const lines: string[] = [];
  const report = await runTablesCreate(config, options, { clients, print: (line) => lines.push(line) });
  return { report, lines };
};

describe('dynasync tables create (DynamoDB Local)', () => {
  it('creates every missing table with the key, a NEW_AND_OLD_IMAGES stream and TTL; a second run only reports "exists, fits"', async () => {
    // Prepare
    const { config, clients } = pair();

    // Act
    const first = await run(config, clients, { partitionKey: 'pk:S', sortKey: 'sk:N' });
    const second = await run(config, clients);

    // Assess
    for (const region of ['eu-west-1', 'us-east-1']) {
      expect(await shape(clients[region]!, config.regions[region]!.table)).toStrictEqual({
        keys: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        definitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'N' },
        ],
        stream: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        ttl: '_ds_ttl',
      });
    }
    expect(first.report.plans.map((plan) => plan.action)).toStrictEqual(['create', 'create']);
    expect(second.report.plans.map((plan) => plan.action)).toStrictEqual(['fits', 'fits']);
    expect(second.report.keySource).toBe('existing table');
    expect(second.lines).toStrictEqual([
      `eu-west-1: table "${config.regions['eu-west-1']!.table}" exists, fits`,
      `us-east-1: table "${config.regions['us-east-1']!.table}" exists, fits`,
    ]);
    await expect(checkTables(config, clients)).resolves.toBeDefined();
  });

  it('takes the key from deploy.table of the config', async () => {
    // Prepare
    const { config, clients } = pair({
      deploy: { table: { mode: 'create', partitionKey: { name: 'id', type: 'N' } } },
    });

    // Act
    const { report } = await run(config, clients);

    // Assess
    expect(report.keySource).toBe('config');
    const { keys } = await shape(clients['us-east-1']!, config.regions['us-east-1']!.table);
    expect(keys).toStrictEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
  });

  it('refuses an existing table with another key, naming it, and creates nothing', async () => {
    // Prepare
    const { config, clients } = pair();
    const source = config.regions['eu-west-1']!.table;
    await clients['eu-west-1']!.send(
      new CreateTableCommand({
        TableName: source,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );

    // Act
    const error = await rejection(run(config, clients, { partitionKey: 'pk:S' }));

    // Assess
    expect(error.code).toBe(ErrorCodes.config.tableMismatch);
    expect(error.payload).toMatchObject({
      path: 'regions.eu-west-1.table',
      problems: [{ region: 'eu-west-1', table: source }],
    });
    expect(error.message).not.toContain('\n');
    const missing = await rejection(
      describeTable(
        'migrate',
        clients['us-east-1']!,
        'us-east-1',
        config.regions['us-east-1']!.table,
        DEFAULT_RETRY,
      ),
    );
    expect(missing.code).toBe(ErrorCodes.config.tableUnreachable);
  });

  it('hints at -sharedDb where a table is missing on a local endpoint (shared describeTable and checkTables)', async () => {
    // Prepare
    const { config, clients } = pair();

    // Act
    const described = await rejection(
      describeTable(
        'verify',
        clients['eu-west-1']!,
        'eu-west-1',
        config.regions['eu-west-1']!.table,
        DEFAULT_RETRY,
      ),
    );
    const checked = await rejection(checkTables(config, clients));

    // Assess
    expect(described.code).toBe(ErrorCodes.config.tableUnreachable);
    expect(described.message).toMatch(/-sharedDb/);
    expect(checked.code).toBe(ErrorCodes.config.tableMismatch);
    expect(checked.message).toMatch(/does not exist.*-sharedDb/);
    // The suggested command reaches the same DynamoDB Local instances.
    expect(checked.message).toContain(
      `dynasync tables create --config FILE --endpoint-url eu-west-1=${localEndpoint(0)} --endpoint-url us-east-1=${localEndpoint(1)}`,
    );
  });
});
