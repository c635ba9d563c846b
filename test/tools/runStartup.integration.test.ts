import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/childRun.js';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dynasync-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dynasync run', () => {
  it('exits 2 naming conflict.module when the merge module is missing, without a stack trace', async () => {
    // Prepare: nothing listens on the endpoints; the start must stop before it calls them.
    const configFile = join(dir, 'dynasync.json');
    await writeFile(
      configFile,
      JSON.stringify({
        version: 1,
        name: 'orders',
        regions: {
          'eu-west-1': { table: 'orders', endpoint: 'http://127.0.0.1:9' },
          'us-east-1': { table: 'orders-us', endpoint: 'http://127.0.0.1:9' },
        },
        topology: { type: 'active-active' },
        conflict: { strategy: 'merge', module: './merges/missing.mjs' },
      }),
    );

    // Act
    // One process (no npx wrapper), so the timeout ends all of it if the start ever hangs again.
    const args = ['--import', 'tsx', 'tools/cli.ts', 'run', '-c', configFile, '-r', 'eu-west-1'];
    const exit = await run(process.execPath, args, {
      cwd: REPO_ROOT,
      timeout: 30_000,
      killSignal: 'SIGKILL',
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );

    // Assess
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain(
      `dynasync: conflict.module: cannot import merge module ${join(dir, 'merges', 'missing.mjs')}`,
    );
    expect(exit.stderr).toContain('(conflict.invalidMergeModule)');
    expect(exit.stderr).not.toMatch(/^\s+at /m);
  });
});
