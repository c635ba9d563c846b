import { type Command, InvalidArgumentError } from 'commander';

/** Commander parser of a whole number > 0. */
export const positiveInt = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError('expected a positive whole number');
  return parsed;
};

/** Commander parser of a number ≥ 0. */
export const nonNegative = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return parsed;
};

/** Commander parser of a number > 0. */
export const positive = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a number > 0');
  return parsed;
};

/**
 * Makes commander's usage errors of a command (an unknown option, a bad or missing option value)
 * exit 2, as every bad command line of dynasync does; `--help` still exits 0. Commander prints the
 * error and the usage first, never a stack trace.
 */
export const exitTwoOnUsageError = (command: Command): Command =>
  command.exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : 2);
  });
