import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDynasyncError } from '../../../core/errors.js';
import { reportCliError } from '../../../tools/_shared/reportCliError.js';
import { regionOfArn } from '../../../tools/scaleout/runStepFunctionsVerifyJob.js';
import {
  addVerifyCommand,
  engineOf,
  runVerifyCommand,
  type VerifyCommandOptions,
} from '../../../tools/verify/command.js';
import { VerifyErrorCodes } from '../../../tools/verify/errors.js';

/*
 * `dynasync verify --engine stepfunctions`: the flags it needs are checked before any config is read
 * or any client is made, and a missing or misplaced one is a usage error (exit 2, one line naming it).
 */
const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:scaleout';
const base: VerifyCommandOptions = {
  config: '/nonexistent/dynasync.json',
  from: 'eu-west-1',
  to: 'us-east-1',
  engine: 'stepfunctions',
};

/** The option a rejected call names, or a failure when it was not a `verify.invalidOption`. */
const rejectedOption = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    expect(isDynasyncError(error) && error.code).toBe(VerifyErrorCodes.invalidOption);
    return isDynasyncError(error) ? error.payload?.option : undefined;
  }
  return expect.unreachable('no error thrown');
};

describe('verify --engine stepfunctions option validation', () => {
  it('needs --state-machine-arn and --job-bucket, naming the missing one', () => {
    expect(rejectedOption(() => engineOf({ ...base, jobBucket: 'jobs' }))).toBe('state-machine-arn');
    expect(rejectedOption(() => engineOf({ ...base, stateMachineArn: ARN }))).toBe('job-bucket');
    expect(rejectedOption(() => engineOf({ ...base, stateMachineArn: '', jobBucket: 'jobs' }))).toBe(
      'state-machine-arn',
    );
    expect(engineOf({ ...base, stateMachineArn: ARN, jobBucket: 'jobs' })).toBe('stepfunctions');
  });

  it('refuses the Step Functions flags with --engine local and --job-dir with stepfunctions', () => {
    const local = { ...base, engine: 'local' };
    expect(rejectedOption(() => engineOf({ ...local, stateMachineArn: ARN }))).toBe('state-machine-arn');
    expect(rejectedOption(() => engineOf({ ...local, jobBucket: 'jobs' }))).toBe('job-bucket');
    expect(rejectedOption(() => engineOf({ ...local, jobPrefix: 'a/' }))).toBe('job-prefix');
    expect(rejectedOption(() => engineOf({ ...local, awsEndpointUrl: 'http://x' }))).toBe('aws-endpoint-url');
    expect(engineOf(local)).toBe('local');
    expect(
      rejectedOption(() => engineOf({ ...base, stateMachineArn: ARN, jobBucket: 'jobs', jobDir: '/tmp/x' })),
    ).toBe('job-dir');
  });

  it('refuses an unknown engine and a bad --sample', () => {
    expect(rejectedOption(() => engineOf({ ...base, engine: 'lambda' }))).toBe('engine');
    expect(
      rejectedOption(() => engineOf({ ...base, stateMachineArn: ARN, jobBucket: 'jobs', sample: 1.5 })),
    ).toBe('sample');
  });

  it('rejects a malformed ARN naming --state-machine-arn', () => {
    expect(regionOfArn(ARN)).toBe('eu-west-1');
    for (const bad of ['scaleout', 'arn:aws:sqs:eu-west-1:1:queue', 'arn:aws:states::1:stateMachine:x']) {
      expect(rejectedOption(() => regionOfArn(bad))).toBe('state-machine-arn');
      expect(rejectedOption(() => engineOf({ ...base, stateMachineArn: bad, jobBucket: 'jobs' }))).toBe(
        'state-machine-arn',
      );
    }
  });

  it('runVerifyCommand refuses before the config is read (the config path does not exist)', async () => {
    await expect(runVerifyCommand({ ...base, jobBucket: 'jobs' })).rejects.toMatchObject({
      code: VerifyErrorCodes.invalidOption,
      payload: { option: 'state-machine-arn' },
    });
  });
});

describe('dynasync verify --engine stepfunctions on the command line', () => {
  let dir: string;
  let configFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dynasync-verify-sfn-'));
    configFile = join(dir, 'dynasync.json');
    await writeFile(
      configFile,
      JSON.stringify({
        version: 1,
        name: 'sfn-cli',
        regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders' } },
        topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
      }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Parses `dynasync verify <args>` and reports what ended it as the CLI would. */
  const verifyCli = async (args: readonly string[]) => {
    const program = new Command().exitOverride();
    addVerifyCommand(program);
    try {
      await program.parseAsync(['verify', '--config', configFile, ...args], { from: 'user' });
      return undefined;
    } catch (error) {
      return reportCliError(error, { command: 'verify', json: false, debug: false });
    }
  };

  it('exits 2 with one line naming --job-bucket when it is missing', async () => {
    const report = await verifyCli(['--engine', 'stepfunctions', '--state-machine-arn', ARN]);
    expect(report?.exitCode).toBe(2);
    expect(report?.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(report?.stderr).toContain('--job-bucket');
    expect(report?.stderr).toContain(VerifyErrorCodes.invalidOption);
  });

  it('exits 2 naming --state-machine-arn when it is missing', async () => {
    const report = await verifyCli(['--engine', 'stepfunctions', '--job-bucket', 'jobs']);
    expect(report?.exitCode).toBe(2);
    expect(report?.stderr).toContain('--state-machine-arn');
  });

  it('documents the flags and where their values come from in --help', () => {
    const program = new Command();
    addVerifyCommand(program);
    const help = program.commands.find((command) => command.name() === 'verify')!.helpInformation();
    for (const flag of ['--state-machine-arn', '--job-bucket', '--job-prefix', '--aws-endpoint-url'])
      expect(help).toContain(flag);
    expect(help).toContain('StateMachineArn');
    expect(help).toContain('JobBucket');
  });
});
