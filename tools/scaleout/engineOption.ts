import { ErrorCodes } from '../../core/errors.js';
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
