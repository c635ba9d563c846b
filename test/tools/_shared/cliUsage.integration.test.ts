import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/childRun.js';

/** `dynasync …` in a child process (this Node.js with tsx); resolves with its exit code and output. */
const cli = (args: readonly string[]): Promise<{ code: number; output: string }> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'tools/cli.ts', ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        timeout: 50_000,
      },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          output: stdout + stderr,
        }),
    );
  });

describe('bad command lines of verify, backfill and redrive', () => {
  let dir: string;
  let config: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dynasync-cli-usage-'));
    config = join(dir, 'dynasync.json');
    await writeFile(
      config,
      JSON.stringify({
        version: 1,
        name: 'usage',
        regions: {
          'eu-west-1': { table: 'aaa', endpoint: 'http://127.0.0.1:9' },
          'us-east-1': { table: 'bbb', endpoint: 'http://127.0.0.1:9' },
        },
        topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
        deadLetter: { type: 'file', dir: join(dir, 'dlq') },
      }),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [
      'backfill with a bad --segments',
      ['backfill', '-c', '<config>', '--from', 'eu-west-1', '--to', 'us-east-1', '--segments', 'abc'],
    ],
    ['verify without --from', ['verify', '-c', '<config>', '--to', 'us-east-1']],
    [
      'verify with an unknown option',
      ['verify', '-c', '<config>', '--from', 'eu-west-1', '--to', 'us-east-1', '--bogus'],
    ],
    ['redrive with a bogus --source', ['redrive', '-c', '<config>', '-r', 'eu-west-1', '--source', 'bogus']],
    ['redrive with a region not in the config', ['redrive', '-c', '<config>', '-r', 'mars-1']],
  ])('%s exits 2 with a clear error and no stack trace', async (_name, args) => {
    const { code, output } = await cli(args.map((arg) => (arg === '<config>' ? config : arg)));
    expect(code).toBe(2);
    expect(output).toMatch(/error|dynasync:/);
    expect(output).not.toMatch(/\n\s+at /);
  });
});
