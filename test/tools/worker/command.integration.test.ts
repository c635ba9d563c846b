import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllRuns, startCli } from '../../helpers/childRun.js';

/**
 * `dynasync worker` as a user meets it, in a child process: bad flags end with exit code 2 and one
 * line naming the flag, before any AWS call (named *.integration.test.ts because each spawn takes seconds).
 */
const cli = async (args: readonly string[]) => {
  const child = startCli({ args });
  const exit = await child.exited;
  return { code: exit.code, stderr: child.stderr() };
};

let dir: string;
let config: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dynasync-worker-cli-'));
  config = join(dir, 'dynasync.json');
  await writeFile(
    config,
    JSON.stringify({
      version: 1,
      name: 'worker-cli',
      regions: {
        'eu-west-1': { table: 'orders-eu', endpoint: 'http://127.0.0.1:9' },
        'us-east-1': { table: 'orders-us', endpoint: 'http://127.0.0.1:9' },
      },
      topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
    }),
    { mode: 0o600 },
  );
});
afterAll(async () => {
  await killAllRuns();
  await rm(dir, { recursive: true, force: true });
});

const QUEUE = 'http://127.0.0.1:9/123456789012/tasks';

describe('dynasync worker: bad flags', () => {
  it.each([
    ['no --queue-url', ['--job-dir', 'DIR'], /--queue-url is required/],
    [
      'a --queue-url that is no URL',
      ['--queue-url', 'tasks', '--job-dir', 'DIR'],
      /--queue-url must be an http\(s\) URL/,
    ],
    ['no job store', ['--queue-url', QUEUE], /--job-bucket .* or --job-dir, exactly one/],
    ['two job stores', ['--queue-url', QUEUE, '--job-bucket', 'jobs', '--job-dir', 'DIR'], /exactly one/],
    [
      '--job-prefix without --job-bucket',
      ['--queue-url', QUEUE, '--job-dir', 'DIR', '--job-prefix', 'p/'],
      /--job-prefix only applies to --job-bucket/,
    ],
    [
      'a bad --aws-endpoint-url',
      ['--queue-url', QUEUE, '--job-dir', 'DIR', '--aws-endpoint-url', 'moto'],
      /--aws-endpoint-url must be an http\(s\) URL/,
    ],
    [
      'a --max-tasks of 0',
      ['--queue-url', QUEUE, '--job-dir', 'DIR', '--max-tasks', '0'],
      /--max-tasks.*positive whole number/,
    ],
    [
      'a bad --endpoint-url',
      ['--queue-url', QUEUE, '--job-dir', 'DIR', '--endpoint-url', 'eu-west-1'],
      /expected <region>=<url>/,
    ],
    [
      'an unknown flag',
      ['--queue-url', QUEUE, '--job-dir', 'DIR', '--workers', '3'],
      /unknown option '--workers'/,
    ],
  ])('exits 2 with %s', { timeout: 60_000 }, async (_what, flags, message) => {
    const args = ['worker', '--config', config, ...flags.map((flag) => (flag === 'DIR' ? dir : flag))];
    const { code, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  });
});
