import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { reportCliError } from '../../../tools/_shared/reportCliError.js';
import { addBackfillCommand, backfillModeOf, runBackfillCommand } from '../../../tools/backfill/command.js';
import { BackfillErrorCodes } from '../../../tools/backfill/errors.js';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:scaleout';
const base = { config: '/nonexistent/dynasync.json', from: 'a', to: 'b' };

/** Parses `dynasync backfill <args>` and reports what ended it as the CLI would. */
const backfillCli = async (args: readonly string[]) => {
  const program = new Command().exitOverride();
  addBackfillCommand(program);
  try {
    await program.parseAsync(['backfill', '--config', '/nonexistent/dynasync.json', ...args], {
      from: 'user',
    });
    return undefined;
  } catch (error) {
    return reportCliError(error, { command: 'backfill', json: false, debug: false });
  }
};

describe('dynasync backfill --engine', () => {
  it.each([
    ['stepfunctions', 'state-machine-arn'],
    ['glue', 'engine'],
  ])(
    '%s without its flags is refused with backfill.invalidOption naming --%s (the CLI exits 2), before any config is read',
    async (engine, option) => {
      const run = runBackfillCommand({ ...base, engine });
      await expect(run).rejects.toMatchObject({
        code: BackfillErrorCodes.invalidOption,
        payload: { option },
      });
    },
  );

  it('chooses the one-process run, a local job or Step Functions, and refuses misplaced flags', () => {
    expect(backfillModeOf(base)).toBe('single');
    expect(backfillModeOf({ ...base, workers: 4 })).toBe('local');
    expect(backfillModeOf({ ...base, jobId: 'b-1' })).toBe('local');
    expect(
      backfillModeOf({ ...base, engine: 'stepfunctions', stateMachineArn: ARN, jobBucket: 'jobs' }),
    ).toBe('stepfunctions');
    const optionOf = (options: Parameters<typeof backfillModeOf>[0]) => {
      try {
        backfillModeOf(options);
      } catch (error) {
        expect(error).toMatchObject({ code: BackfillErrorCodes.invalidOption });
        return (error as { payload?: { option?: string } }).payload?.option;
      }
      return expect.unreachable('no error thrown');
    };
    expect(optionOf({ ...base, engine: 'stepfunctions', stateMachineArn: ARN })).toBe('job-bucket');
    expect(optionOf({ ...base, engine: 'stepfunctions', stateMachineArn: 'x', jobBucket: 'jobs' })).toBe(
      'state-machine-arn',
    );
    expect(optionOf({ ...base, jobBucket: 'jobs' })).toBe('job-bucket');
    expect(
      optionOf({
        ...base,
        engine: 'stepfunctions',
        stateMachineArn: ARN,
        jobBucket: 'jobs',
        jobDir: '/tmp/x',
      }),
    ).toBe('job-dir');
    expect(optionOf({ ...base, workers: 2, checkpoint: '/tmp/c.json' })).toBe('checkpoint');
    expect(optionOf({ ...base, jobId: 'b-1', resume: true })).toBe('resume');
  });
});

describe('backfill --workers checks its options as the one-process run does', () => {
  it('refuses --segments 0 before any client is made', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dynasync-backfill-engine-'));
    try {
      const config = join(dir, 'dynasync.json');
      await writeFile(
        config,
        JSON.stringify({
          version: 1,
          name: 'engine',
          regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders' } },
          topology: { type: 'active-active' },
        }),
      );
      await expect(
        runBackfillCommand({ config, from: 'eu-west-1', to: 'us-east-1', workers: 2, segments: 0 }),
      ).rejects.toMatchObject({ code: BackfillErrorCodes.invalidOption, payload: { option: 'segments' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('dynasync backfill on the command line', () => {
  it('exits 2 for --workers 0 and for an unknown --engine', async () => {
    for (const args of [
      ['--workers', '0'],
      ['--engine', 'glue'],
    ]) {
      const report = await backfillCli(['--from', 'a', '--to', 'b', ...args]);
      expect(report?.exitCode).toBe(2);
      expect(report?.stderr).not.toContain('cannot read config file');
    }
  });

  it('exits 2 for --engine stepfunctions without --state-machine-arn, one line naming the flag', async () => {
    const report = await backfillCli([
      '--from',
      'a',
      '--to',
      'b',
      '--engine',
      'stepfunctions',
      '--job-bucket',
      'j',
    ]);
    expect(report?.exitCode).toBe(2);
    expect(report?.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(report?.stderr).toContain('--state-machine-arn');
  });
});
