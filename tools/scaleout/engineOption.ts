import type { Command } from 'commander';
import { ErrorCodes } from '../../core/errors.js';
import { positiveInt } from '../_shared/cliOptions.js';
import { toolError } from '../_shared/toolError.js';
import type { JobSpec } from './protocol.js';
import { regionOfArn } from './runStepFunctionsJob.js';

/** Where a job command runs: in this process (`local`), or on a deployed state machine. */
export type ScaleoutEngine = 'local' | 'stepfunctions';

/** The `--engine` flags that `dynasync verify` and `dynasync backfill` share. */
export interface EngineFlags {
  readonly engine?: string;
  readonly jobDir?: string;
  readonly stateMachineArn?: string;
  readonly jobBucket?: string;
  readonly jobPrefix?: string;
  readonly awsEndpointUrl?: string;
}

const invalid = (command: JobSpec['command'], option: string, message: string) =>
  toolError(ErrorCodes[command].invalidOption, `${command}: ${message}`, { option });

/**
 * The `--engine` value, checked.
 * @throws DynasyncError `<command>.invalidOption` (exit 2) naming `engine` for another value
 */
export const parseEngine = (command: JobSpec['command'], engine = 'local'): ScaleoutEngine => {
  if (engine !== 'local' && engine !== 'stepfunctions')
    throw invalid(command, 'engine', `--engine must be local or stepfunctions, got "${engine}"`);
  return engine;
};

/**
 * Checks the engine's own flags: `--engine stepfunctions` needs `--state-machine-arn` (well-formed)
 * and `--job-bucket` and keeps no `--job-dir`; `--engine local` takes none of the Step Functions flags.
 * Runs before any config is read or table described.
 * @throws DynasyncError `<command>.invalidOption` (exit 2) naming the missing or misplaced flag
 */
export const checkEngineFlags = (
  command: JobSpec['command'],
  engine: ScaleoutEngine,
  flags: EngineFlags,
): void => {
  const stepFunctionsFlags = [
    ['state-machine-arn', flags.stateMachineArn],
    ['job-bucket', flags.jobBucket],
    ['job-prefix', flags.jobPrefix],
    ['aws-endpoint-url', flags.awsEndpointUrl],
  ] as const;
  if (engine === 'local') {
    const stray = stepFunctionsFlags.find(([, value]) => value !== undefined);
    if (stray !== undefined)
      throw invalid(command, stray[0], `--${stray[0]} only applies to --engine stepfunctions`);
    return;
  }
  for (const [option, value] of stepFunctionsFlags.slice(0, 2))
    if (value === undefined || value === '')
      throw invalid(
        command,
        option,
        `--engine stepfunctions needs --${option} (the DynasyncScaleout stack's ${option === 'job-bucket' ? 'JobBucket' : 'StateMachineArn'} output)`,
      );
  // A malformed ARN is refused before any table is described.
  regionOfArn(flags.stateMachineArn as string, command);
  if (flags.jobDir !== undefined)
    throw invalid(
      command,
      'job-dir',
      "--job-dir is the local engine's store; --engine stepfunctions keeps its jobs in --job-bucket",
    );
};

/**
 * Adds the engine flags `dynasync verify` and `dynasync backfill` share (`--engine`, `--workers`,
 * `--job-id`, `--job-dir` and the Step Functions ones); `awsEndpointHelp` says what else the
 * endpoint serves for the command.
 */
export const withEngineOptions = (command: Command, awsEndpointHelp = ''): Command =>
  command
    .option(
      '--engine <engine>',
      'local (workers in this process) or stepfunctions (a deployed state machine)',
      'local',
    )
    .option(
      '--workers <n>',
      'local segment workers (runs the scale-out task engine); with stepfunctions: the job concurrency',
      positiveInt,
    )
    .option('--job-id <id>', 'resume this job (finished segments are not scanned again)')
    .option('--job-dir <dir>', 'folder of the local job store (default: <temp>/dynasync-jobs)')
    .option(
      '--state-machine-arn <arn>',
      "--engine stepfunctions: the state machine (the DynasyncScaleout stack's StateMachineArn output)",
    )
    .option(
      '--job-bucket <name>',
      "--engine stepfunctions: the job store bucket (the stack's JobBucket output)",
    )
    .option('--job-prefix <prefix>', '--engine stepfunctions: prefix of the job store keys (default: none)')
    .option(
      '--aws-endpoint-url <url>',
      `--engine stepfunctions${awsEndpointHelp}: one endpoint for Step Functions and S3 (moto, LocalStack)`,
    );

/**
 * The deployed state machine and job store a `--engine stepfunctions` run drives, from its flags
 * (present: {@link checkEngineFlags} refused the run without them before any config was read).
 */
export const stepFunctionsTargetOf = (flags: EngineFlags) => ({
  stateMachineArn: flags.stateMachineArn ?? '',
  jobBucket: flags.jobBucket ?? '',
  ...(flags.jobPrefix === undefined ? {} : { jobPrefix: flags.jobPrefix }),
  ...(flags.awsEndpointUrl === undefined ? {} : { awsEndpointUrl: flags.awsEndpointUrl }),
});
