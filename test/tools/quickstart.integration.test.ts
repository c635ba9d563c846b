import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllRuns, type RunChild, startCli } from '../helpers/childRun.js';
import { localClient, localEndpoint, uniqueTableName } from '../helpers/dynamo.js';

/**
 * The local quickstart (docs/quickstart.md), command by command through the real CLI, in a fresh folder (as a
 * user would run it): init, tables create (twice: idempotent), run, one plain write, verify.
 * One DynamoDB Local with -sharedDb (the test run's instance 0) holds both regions' tables.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await killAllRuns();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const finished = async (child: RunChild) => {
  const exit = await child.exited;
  return { code: exit.code, stdout: child.stdout(), stderr: child.stderr() };
};

describe('docs/quickstart.md (spawned CLI, DynamoDB Local)', () => {
  it('init → tables create → run → write → verify: exit 0 at each step, the replica has the item', async () => {
    // Prepare
    const cwd = await mkdtemp(join(tmpdir(), 'dynasync-quickstart-'));
    cleanups.push(() => rm(cwd, { recursive: true, force: true }));
    const table = uniqueTableName('orders');
    const endpoint = localEndpoint(0);
    const cli = (...args: string[]) => finished(startCli({ args, cwd }));
    const client = localClient(0);
    cleanups.push(async () => client.destroy());

    // Act
    const init = await cli(
      'init',
      '--topology',
      'one-way',
      '--regions',
      'eu-west-1,us-east-1',
      '--table',
      table,
      '--endpoint-url',
      endpoint,
    );
    const create = await cli('tables', 'create', '--config', 'dynasync.json');
    const again = await cli('tables', 'create', '--config', 'dynasync.json');
    const run = startCli({ args: ['run', '--config', 'dynasync.json', '--region', 'eu-west-1'], cwd });
    await client.send(
      new PutItemCommand({
        TableName: `${table}-eu-west-1`,
        Item: { pk: { S: 'order#1' }, total: { N: '12.50' } },
      }),
    );
    await expect
      .poll(
        async () =>
          (
            await client.send(
              new GetItemCommand({ TableName: `${table}-us-east-1`, Key: { pk: { S: 'order#1' } } }),
            )
          ).Item?.total,
        { timeout: 60_000, interval: 200 },
      )
      .toStrictEqual({ N: '12.5' });
    const verify = await cli(
      'verify',
      '--config',
      'dynasync.json',
      '--from',
      'eu-west-1',
      '--to',
      'us-east-1',
    );
    const stopped = await run.kill('SIGTERM');

    // Assess
    expect(init).toMatchObject({ code: 0, stderr: '' });
    expect((await stat(join(cwd, 'dynasync.json'))).mode & 0o777).toBe(0o600);
    expect(create.code, create.stderr).toBe(0);
    expect(create.stdout).toContain(`eu-west-1: table "${table}-eu-west-1" created`);
    expect(create.stdout).toContain(`us-east-1: table "${table}-us-east-1" created`);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(
      `eu-west-1: table "${table}-eu-west-1" exists, fits\nus-east-1: table "${table}-us-east-1" exists, fits\n`,
    );
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/IN SYNC/);
    expect(stopped.code).toBe(0);
  });

  it('tables create takes --endpoint-url, overriding the endpoints of the config file for this run', async () => {
    // Prepare: a config whose endpoints answer nothing (port 9 is discard; nothing listens there)
    const cwd = await mkdtemp(join(tmpdir(), 'dynasync-quickstart-'));
    cleanups.push(() => rm(cwd, { recursive: true, force: true }));
    const table = uniqueTableName('orders');
    const cli = (...args: string[]) => finished(startCli({ args, cwd }));
    await cli(
      'init',
      '--regions',
      'eu-west-1,us-east-1',
      '--table',
      table,
      '--endpoint-url',
      'http://127.0.0.1:9',
    );
    const client = localClient(0);
    cleanups.push(async () => client.destroy());

    // Act
    const create = await cli(
      'tables',
      'create',
      '--endpoint-url',
      `eu-west-1=${localEndpoint(0)}`,
      '--endpoint-url',
      `us-east-1=${localEndpoint(0)}`,
    );

    // Assess
    expect(create.code, create.stderr).toBe(0);
    expect(create.stdout).toContain(`eu-west-1: table "${table}-eu-west-1" created`);
    const described = await client.send(new DescribeTableCommand({ TableName: `${table}-us-east-1` }));
    expect(described.Table?.TableStatus).toBe('ACTIVE');
  });

  it('a second init refuses to overwrite, and tables create of a table that does not fit exits 2 with one line', async () => {
    // Prepare
    const cwd = await mkdtemp(join(tmpdir(), 'dynasync-quickstart-'));
    cleanups.push(() => rm(cwd, { recursive: true, force: true }));
    const table = uniqueTableName('orders');
    const cli = (...args: string[]) => finished(startCli({ args, cwd }));
    const init = [
      'init',
      '--regions',
      'eu-west-1,us-east-1',
      '--table',
      table,
      '--endpoint-url',
      localEndpoint(0),
    ];
    await cli(...init);
    await cli('tables', 'create', '--config', 'dynasync.json');

    // Act
    const overwrite = await cli(...init);
    const misfit = await cli('tables', 'create', '--config', 'dynasync.json', '--partition-key', 'id:N');
    const forced = await cli(...init, '--partition-key', 'id:N', '--force');
    const refit = await cli('tables', 'create', '--config', 'dynasync.json');

    // Assess
    expect(overwrite.code).toBe(2);
    expect(overwrite.stderr).toMatch(/exists; pass --force/);
    expect(misfit.code).toBe(2);
    expect(forced.code).toBe(0);
    expect(refit.code).toBe(2);
    expect(refit.stderr).toMatch(
      new RegExp(
        `regions\\.eu-west-1\\.table "${table}-eu-west-1" \\(eu-west-1\\): key is pk \\(S, partition key\\), expected id \\(N, partition key\\)`,
      ),
    );
    expect(refit.stderr).not.toMatch(/\n\s+at /);
  });
});
