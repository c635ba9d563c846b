import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { isDynasyncError } from '../../../core/errors.js';
import { assertRegionCanRun } from '../../../replicator/poller/assertRegionCanRun.js';
import { checkTables } from '../../../replicator/poller/checkTables.js';
import { createReplicatedTable } from '../../../tools/tables.js';
import { type PollerEnv, pollerEnv, REPLICA, SOURCE } from './pollerHarness.js';

const cleanups: PollerEnv[] = [];
afterEach(async () => {
  for (const env of cleanups.splice(0)) await env.cleanup();
});

const setup = async (createTables: boolean): Promise<PollerEnv> => {
  const env = await pollerEnv({ createTables });
  cleanups.push(env);
  return env;
};

const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isDynasyncError(error)) throw new Error(`expected a DynasyncError, got ${String(error)}`);
  return error;
};

describe('checkTables', () => {
  it('returns each table with its stream and key schema when every table fits', async () => {
    // Prepare
    const env = await setup(true);

    // Act
    const tables = await checkTables(env.config, env.clients);

    // Assess
    expect(tables[SOURCE]?.streamArn).toMatch(/stream/);
    expect(tables[REPLICA]?.keys).toEqual([{ name: 'pk', type: 'S', role: 'HASH' }]);
  });

  it('fails with config.tableMismatch when the source stream is KEYS_ONLY', async () => {
    // Prepare
    const env = await setup(false);
    await env.source.send(
      new CreateTableCommand({
        TableName: env.sourceTable,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' },
      }),
    );
    await createReplicatedTable(env.replica, env.replicaTable, { partitionKey: { name: 'pk', type: 'S' } });

    // Act
    const error = await failure(checkTables(env.config, env.clients));

    // Assess
    expect(error.code).toBe('config.tableMismatch');
    expect(error.payload.problems).toEqual([
      { region: SOURCE, table: env.sourceTable, path: `regions.${SOURCE}.table`, problem: 'streamViewType' },
    ]);
  });

  it('fails with config.tableMismatch when the key schemas differ between regions', async () => {
    // Prepare
    const env = await setup(false);
    await createReplicatedTable(env.source, env.sourceTable, {
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'N' },
    });
    await createReplicatedTable(env.replica, env.replicaTable, {
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
    });

    // Act
    const error = await failure(checkTables(env.config, env.clients));

    // Assess
    expect(error.code).toBe('config.tableMismatch');
    expect(error.payload.problems).toEqual([
      { region: REPLICA, table: env.replicaTable, path: `regions.${REPLICA}.table`, problem: 'keySchema' },
    ]);
  });

  it('reports every missing table in one config.tableMismatch error', async () => {
    // Prepare
    const env = await setup(false);

    // Act
    const error = await failure(checkTables(env.config, env.clients));

    // Assess
    expect(error.code).toBe('config.tableMismatch');
    expect(
      (error.payload.problems as Array<{ region: string; problem: string }>).map(({ region, problem }) => [
        region,
        problem,
      ]),
    ).toEqual([
      [SOURCE, 'missing'],
      [REPLICA, 'missing'],
    ]);
  });
});

describe('assertRegionCanRun', () => {
  it('refuses a one-way replica with config.invalidField at path topology, and accepts the source', async () => {
    // Prepare
    const env = await setup(false);

    // Act
    const refuse = () => assertRegionCanRun(env.config, REPLICA);

    // Assess
    expect(refuse).toThrow(
      expect.objectContaining({
        code: 'config.invalidField',
        payload: expect.objectContaining({ path: 'topology' }),
      }),
    );
    expect(() => assertRegionCanRun(env.config, SOURCE)).not.toThrow();
    expect(() => assertRegionCanRun(env.config, 'ap-south-1')).toThrow(
      expect.objectContaining({ code: 'config.invalidField' }),
    );
  });
});
