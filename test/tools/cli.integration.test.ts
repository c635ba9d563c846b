import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllRuns, REPO_ROOT, startCli } from '../helpers/childRun.js';

/**
 * The command line as a user meets it, in a child process (a usage error ends before any AWS call,
 * so no DynamoDB Local is needed; named *.integration.test.ts because each spawn takes seconds).
 */

/** Runs `dynasync ARGS` to the end: exit code, stdout, stderr. */
const cli = async (args: readonly string[], env: Record<string, string> = {}) => {
  const child = startCli({ args, env });
  const exit = await child.exited;
  return { code: exit.code, stdout: child.stdout(), stderr: child.stderr() };
};

/** No line of a stack trace (`    at fn (file:line)`). */
const STACK_LINE = /^\s+at .+:\d+/m;

let dir: string;
let activeActive: string;
let oneWay: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dynasync-cli-'));
  // Unroutable endpoints: every test here ends before an AWS call.
  const regions = {
    'eu-west-1': { table: 'orders-eu', endpoint: 'http://127.0.0.1:9' },
    'us-east-1': { table: 'orders-us', endpoint: 'http://127.0.0.1:9' },
  };
  activeActive = join(dir, 'active-active.json');
  await writeFile(
    activeActive,
    JSON.stringify({ version: 1, name: 'cli', regions, topology: { type: 'active-active' } }),
  );
  oneWay = join(dir, 'one-way.json');
  await writeFile(
    oneWay,
    JSON.stringify({
      version: 1,
      name: 'cli',
      regions: { ...regions, 'ap-south-1': { table: 'orders-ap', endpoint: 'http://127.0.0.1:9' } },
      topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1', 'ap-south-1'] },
    }),
  );
});

afterAll(async () => {
  await killAllRuns();
  await rm(dir, { recursive: true, force: true });
});

describe('dynasync command line (spawned): exit codes, errors, --version', () => {
  it('verify without --from on an active-active config exits 2 with cli.usage and one hint, no stack', async () => {
    const result = await cli(['verify', '--config', activeActive, '--to', 'us-east-1']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--from is required');
    expect(result.stderr).toContain('(cli.usage)');
    expect(result.stderr).toContain("run 'dynasync verify --help'");
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('verify with neither --config nor ./dynasync.json exits 2 naming the default file', async () => {
    const result = await cli(['verify']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('./dynasync.json');
    expect(result.stderr).toContain('(config.unreadable)');
  });

  it('--to cannot default in a one-way topology with two replicas: exit 2 naming them', async () => {
    const result = await cli(['backfill', '--config', oneWay]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('us-east-1, ap-south-1');
    expect(result.stderr).toContain('(cli.usage)');
  });

  it('--segments abc exits 2 with the parser error and one hint, not the whole help', async () => {
    const result = await cli(['verify', '--from', 'eu-west-1', '--to', 'us-east-1', '--segments', 'abc']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("argument 'abc' is invalid");
    expect(result.stderr).toContain("run 'dynasync verify --help'");
    expect(result.stderr).not.toContain('Options:');
    expect(result.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('an unknown option exits 2', async () => {
    const result = await cli(['backfill', '--bogus']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--bogus'");
    expect(result.stderr).toContain("run 'dynasync backfill --help'");
  });

  it('with --json a usage error is JSON on stdout: {"error":{"code","message"}}', async () => {
    const result = await cli(['verify', '--json', '--segments', 'abc']);

    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      error: { code: 'cli.usage', message: expect.stringContaining("argument 'abc' is invalid") },
    });
  });

  it('with --json a config error is JSON on stdout with its code', async () => {
    const result = await cli(['verify', '--json', '--config', join(dir, 'missing.json')]);

    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'config.unreadable' } });
  });

  it('--version prints the version of package.json and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };

    const result = await cli(['--version']);

    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});
