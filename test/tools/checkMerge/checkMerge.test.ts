import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMergeModule, formatCheckMergeReport } from '../../../tools/checkMerge/checkMergeModule.js';
import { REPO_ROOT } from '../../helpers/childRun.js';

const run = promisify(execFile);
let dir: string;

const MODULES = {
  // Keeps the stored side: the two regions of a conflict each keep their own item.
  localWins: 'export const merge = (local) => local;',
  // Adds numbers on every merge: a redelivered state counts twice.
  sumsAgain: `export const merge = (local, remote) => {
    const total = BigInt(local.n?.N ?? '0') + BigInt(remote.n?.N ?? '0');
    return { ...local, ...remote, n: { N: String(total) } };
  };`,
  throws: 'export const merge = () => { throw new Error("boom"); };',
  noExport: 'export const other = 1;',
} as const;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dynasync-check-merge-'));
  for (const [name, source] of Object.entries(MODULES)) await writeFile(join(dir, `${name}.mjs`), source);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('check-merge', () => {
  it('passes the example user merge (newest wins, status never backwards)', async () => {
    const report = await checkMergeModule(join(REPO_ROOT, 'examples/merges/newestWins.mjs'), {
      numRuns: 100,
    });
    expect(report).toMatchObject({ ok: true });
  });

  it('catches a merge that keeps the local side: commutative law, with a shrunk counterexample', async () => {
    const report = await checkMergeModule(join(dir, 'localWins.mjs'), { numRuns: 100 });
    expect(report).toMatchObject({ ok: false, law: 'commutative' });
    if (report.ok) return;
    expect(report.counterexample.states).toHaveLength(2);
    expect(formatCheckMergeReport('localWins.mjs', report)[0]).toContain('commutative');
  });

  it('catches a merge that adds numbers again on every merge: idempotent law', async () => {
    const report = await checkMergeModule(join(dir, 'sumsAgain.mjs'), { numRuns: 100 });
    expect(report).toMatchObject({ ok: false, law: 'idempotent' });
  });

  it('reports a merge that throws as a broken law, not a crash', async () => {
    const report = await checkMergeModule(join(dir, 'throws.mjs'), { numRuns: 20 });
    expect(report).toMatchObject({ ok: false, law: 'idempotent' });
    if (!report.ok) expect(report.counterexample.left).toMatch(/^threw .*cause: Error: boom/);
  });

  it('the same seed gives the same report', async () => {
    const a = await checkMergeModule(join(dir, 'localWins.mjs'), { numRuns: 50, seed: 42 });
    const b = await checkMergeModule(join(dir, 'localWins.mjs'), { numRuns: 50, seed: 42 });
    expect(b).toEqual(a);
  });

  it('the CLI exits 0 when the laws hold, 1 when one breaks, 2 for a module without merge', async () => {
    const cli = (module: string) =>
      run('npx', ['tsx', 'tools/cli.ts', 'check-merge', module, '--runs', '30'], { cwd: REPO_ROOT }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string; stderr: string }) => ({
          code: error.code,
          stdout: error.stdout + error.stderr,
        }),
      );
    const good = await cli('examples/merges/newestWins.mjs');
    expect(good.code).toBe(0);
    const bad = await cli(join(dir, 'localWins.mjs'));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('breaks the commutative law');
    const none = await cli(join(dir, 'noExport.mjs'));
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('conflict.invalidMergeModule');
  });
});
