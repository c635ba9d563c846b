import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runVerifyCommand, VerifyExitCodes } from '../../../tools/verify/command.js';
import { VerifyErrorCodes } from '../../../tools/verify/errors.js';
import type { Difference, VerifyReport } from '../../../tools/verify/types.js';
import { FakeTerminal } from '../../helpers/fakeTerminal.js';
import {
  appItem,
  batchPut,
  type RegionPair,
  regionPair,
  replicaOf,
  SOURCE,
  TARGET,
  versionAt,
} from './verifyHarness.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A pair with 50 replicated keys, 2 of them drifted, and its config written to a file. */
const prepare = async (): Promise<{ pair: RegionPair; dir: string; configFile: string }> => {
  const pair = await regionPair();
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-verify-cli-'));
  cleanups.push(
    () => pair.cleanup(),
    () => rm(dir, { recursive: true, force: true }),
  );
  const items = Array.from({ length: 50 }, (_, i) =>
    appItem(`k${i}`, versionAt(1_700_000_000_000), { secret: { S: `value-${i}` } }),
  );
  await batchPut(pair.source, pair.sourceTable, items);
  await batchPut(
    pair.target,
    pair.targetTable,
    items
      .slice(1)
      .map(replicaOf)
      .map((item) => ((item.pk as { S: string }).S === 'k7' ? { ...item, secret: { S: 'tampered' } } : item)),
  );
  const configFile = join(dir, 'dynasync.json');
  await writeFile(
    configFile,
    JSON.stringify({
      version: 1,
      name: 'verify-cli',
      regions: pair.config.regions,
      topology: pair.config.topology,
    }),
  );
  return { pair, dir, configFile };
};

/** `dynasync verify …` in a child process (this Node.js with tsx); resolves with its exit code. */
const cli = (args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'tools/cli.ts', 'verify', ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        timeout: 50_000,
      },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          stdout,
          stderr,
        }),
    );
  });

describe('dynasync verify (command)', () => {
  it('writes one JSON line per difference, a JSON summary, a progress bar on a terminal, and returns 1 on drift', async () => {
    // Prepare
    const { dir, configFile } = await prepare();
    const output = join(dir, 'differences.jsonl');
    const printed: string[] = [];
    const terminal = new FakeTerminal();

    // Act
    const code = await runVerifyCommand(
      { config: configFile, from: SOURCE, to: TARGET, settle: 0, output, json: true },
      { print: (text) => printed.push(text), progressStream: terminal },
    );

    // Assess
    expect(code).toBe(VerifyExitCodes.drift);
    const lines = (await readFile(output, 'utf8')).trim().split('\n');
    const differences = lines.map((line) => JSON.parse(line) as Difference);
    expect(differences.map((d) => [d.kind, d.key, d.attributes])).toEqual(
      expect.arrayContaining([
        ['missing', { pk: { S: 'k0' } }, []],
        ['different', { pk: { S: 'k7' } }, ['secret']],
      ]),
    );
    expect(differences).toHaveLength(2);
    const report = JSON.parse(printed.join('\n')) as VerifyReport;
    expect(report.counts).toEqual({ missing: 1, extra: 0, different: 1, settled: 0 });
    expect(terminal.text).toMatch(/\d+\/s \| ETA /);
    const esc = String.fromCharCode(27);
    const ANSI_CONTROL = new RegExp(`${esc}\\[[0-9;?]*[A-Za-z]|${esc}[78]`, 'g');
    // Every frame the bar draws fits 80 columns, and an unknown ETA is never NFs/LLs.
    const frames = terminal.text
      .split('\u001b[1G')
      .slice(1)
      .map((frame) => frame.replace(ANSI_CONTROL, '').replace(/[\r\n]+/g, ''));
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) expect(frame.length).toBeLessThan(80);
    expect(terminal.text).not.toMatch(/NFs|LLs/);
    // Values never leave the tables: not in the output file, the summary or the progress bar.
    for (const text of [lines.join('\n'), printed.join('\n'), terminal.text]) {
      expect(text).not.toContain('value-');
      expect(text).not.toContain('tampered');
    }
  });

  it('prints the summary table; --repair fixes the drift and returns 0; no progress bar off a terminal', async () => {
    const { configFile } = await prepare();
    const printed: string[] = [];
    const quiet = new FakeTerminal();
    Object.defineProperty(quiet, 'isTTY', { value: false });

    const repaired = await runVerifyCommand(
      { config: configFile, from: SOURCE, to: TARGET, settle: 0, repair: true },
      { print: (text) => printed.push(text), progressStream: quiet },
    );
    const after = await runVerifyCommand(
      { config: configFile, from: SOURCE, to: TARGET, settle: 0 },
      { print: () => undefined, progressStream: quiet },
    );

    expect(repaired).toBe(VerifyExitCodes.inSync);
    expect(after).toBe(VerifyExitCodes.inSync);
    expect(printed.join('\n')).toMatch(/DRIFT: 2 keys differ/);
    expect(printed.join('\n')).toMatch(/2 repaired, 0 stale/);
    expect(printed.join('\n')).not.toContain('k7'); // keys appear as hashes in the terminal
    expect(quiet.text).toBe('');
  });

  it('a dry run reports what it would write, writes nothing and returns 1', async () => {
    const { configFile } = await prepare();
    const printed: string[] = [];

    const dry = await runVerifyCommand(
      { config: configFile, from: SOURCE, to: TARGET, settle: 0, repair: true, dryRun: true },
      { print: (text) => printed.push(text) },
    );
    const again = await runVerifyCommand(
      { config: configFile, from: SOURCE, to: TARGET, settle: 0, json: true },
      { print: (text) => printed.push(text) },
    );

    expect(dry).toBe(VerifyExitCodes.drift);
    expect(again).toBe(VerifyExitCodes.drift);
    expect(printed.join('\n')).toMatch(/dry run: 2 would be written/);
  });

  it('exits 0 in sync, 1 on drift and 2 on errors, as a process', async () => {
    const { pair, configFile } = await prepare();

    const drift = await cli(['--config', configFile, '--from', SOURCE, '--to', TARGET, '--settle', '0']);
    await batchPut(pair.target, pair.targetTable, [
      replicaOf(appItem('k0', versionAt(1_700_000_000_000), { secret: { S: 'value-0' } })),
      replicaOf(appItem('k7', versionAt(1_700_000_000_000), { secret: { S: 'value-7' } })),
    ]);
    const [inSync, dryRunAlone, badRegion] = await Promise.all([
      cli(['--config', configFile, '--from', SOURCE, '--to', TARGET, '--settle', '0', '--json']),
      cli(['--config', configFile, '--from', SOURCE, '--to', TARGET, '--dry-run']),
      cli(['--config', configFile, '--from', SOURCE, '--to', 'mars-1']),
    ]);

    expect(drift.code, drift.stderr).toBe(1);
    expect(drift.stdout).toContain('DRIFT: 2 keys differ');
    expect(inSync.code, inSync.stderr).toBe(0);
    expect((JSON.parse(inSync.stdout) as VerifyReport).inSync).toBe(true);
    expect(dryRunAlone.code).toBe(2);
    expect(dryRunAlone.stderr).toContain(VerifyErrorCodes.invalidOption);
    expect(badRegion.code).toBe(2);
    expect(badRegion.stderr).toContain(VerifyErrorCodes.invalidOption);
  });
});

describe('dynasync verify --engine local (scale-out task engine)', () => {
  it('--workers gives the same differences and counts as the one-process run, prints the read-unit estimate and the job, and resumes by --job-id', async () => {
    // Prepare
    const { dir, configFile } = await prepare();
    const run = async (extra: Partial<Parameters<typeof runVerifyCommand>[0]>) => {
      const printed: string[] = [];
      const output = join(dir, `out-${Math.random().toString(36).slice(2)}.jsonl`);
      const code = await runVerifyCommand(
        { config: configFile, from: SOURCE, to: TARGET, settle: 0, output, ...extra },
        {
          print: (text) => printed.push(text),
          progressStream: new Writable({ write: (_c, _e, next) => next() }),
        },
      );
      const lines = (await readFile(output, 'utf8'))
        .trim()
        .split('\n')
        .filter((line) => line !== '');
      const differences = lines
        .map((line) => JSON.parse(line) as Difference)
        .map((d) => [d.kind, d.key, d.attributes]);
      return {
        code,
        printed: printed.join('\n'),
        differences: differences.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      };
    };

    // Act
    const single = await run({});
    const workers = await run({ workers: 3, jobDir: join(dir, 'jobs'), jobId: 'cli-job-1' });
    const resumed = await run({ workers: 3, jobDir: join(dir, 'jobs'), jobId: 'cli-job-1', json: true });
    const sampled = await run({ sample: 0.5, segments: 4, jobDir: join(dir, 'jobs'), json: true });

    // Assess
    expect(workers.code).toBe(single.code);
    expect(workers.differences).toEqual(single.differences);
    expect(single.printed).toMatch(/the scans will read about [\d.]+ read units/);
    expect(workers.printed).toMatch(
      /job cli-job-1 \(4 of 4 segments\) in .*jobs; resume with --job-id cli-job-1/,
    );
    expect(workers.printed).toMatch(/job {10}cli-job-1: 4 of 4 segments/);
    expect(resumed.differences).toEqual(single.differences);
    const resumedReport = JSON.parse(resumed.printed) as VerifyReport & {
      estimatedReadUnits: { sample: number };
    };
    expect(resumedReport.scaleout?.jobId).toBe('cli-job-1');
    expect(resumedReport.estimatedReadUnits.sample).toBe(1);
    const sampledReport = JSON.parse(sampled.printed) as VerifyReport & {
      estimatedReadUnits: { sample: number };
    };
    expect(sampledReport.scaleout).toMatchObject({ sample: 0.5, segmentsScanned: 2 });
    expect(sampledReport.estimatedReadUnits.sample).toBe(0.5);
  });

  it('exits 2 for --engine stepfunctions without --state-machine-arn, and for --sample outside (0, 1]', async () => {
    const { configFile } = await prepare();
    const [sfn, sample] = await Promise.all([
      cli(['--config', configFile, '--from', SOURCE, '--to', TARGET, '--engine', 'stepfunctions']),
      cli(['--config', configFile, '--from', SOURCE, '--to', TARGET, '--sample', '1.5']),
    ]);
    expect(sfn.code).toBe(2);
    expect(sfn.stderr).toContain('--state-machine-arn');
    expect(sfn.stderr).toContain(VerifyErrorCodes.invalidOption);
    expect(sample.code).toBe(2);
    expect(sample.stderr).toContain(VerifyErrorCodes.invalidOption);
    expect(`${sfn.stderr}${sample.stderr}`).not.toMatch(/\n\s+at /);
  });
});
