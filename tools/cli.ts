import { ErrorCodes } from '../core/errors.js';
import { ExitCodes } from './_shared/cliOptions.js';
import { isDisplayOnly, isHelpForMissingCommand, reportCliError } from './_shared/reportCliError.js';
import { createProgram } from './program.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Seconds a command (other than `run` and `migrate`) gets to stop after SIGINT/SIGTERM. */
const STOP_GRACE_SECONDS = 10;

const program = createProgram();
const args = process.argv.slice(2);
const commandNames = new Set(program.commands.map((command) => command.name()));
const commandName = args.find((arg) => !arg.startsWith('-'));
const command = commandName !== undefined && commandNames.has(commandName) ? commandName : undefined;

/**
 * After the first SIGINT/SIGTERM a command aborts its calls in flight and ends with its own
 * "interrupted" error; should anything still hang, this ends the process with exit code 2.
 * A signal while no command listens (reading the config, loading modules) ends it at once.
 * `run` (graceful stop, then exit 130 on a second signal) and `migrate` (--follow ends on a
 * signal) handle signals themselves.
 */
const onStopSignal = (signal: NodeJS.Signals): void => {
  const stop = (why: string) => {
    process.stderr.write(`dynasync: ${command ?? 'dynasync'} interrupted by ${signal}${why}\n`);
    if (args.includes('--json'))
      process.stdout.write(
        `${JSON.stringify({ error: { code: ErrorCodes.cli.interrupted, message: `interrupted by ${signal}` } })}\n`,
      );
    process.exit(ExitCodes.error);
  };
  if (process.listenerCount(signal) === 0) stop('');
  setTimeout(
    () => stop(`; calls in flight did not stop within ${STOP_GRACE_SECONDS} s`),
    STOP_GRACE_SECONDS * 1_000,
  ).unref();
};
if (command !== 'run' && command !== 'migrate') {
  process.once('SIGINT', onStopSignal);
  process.once('SIGTERM', onStopSignal);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (isDisplayOnly(error)) {
    process.exitCode = ExitCodes.ok;
  } else if (isHelpForMissingCommand(error)) {
    process.exitCode = ExitCodes.error; // commander printed the help on stderr
  } else {
    const report = reportCliError(error, {
      ...(command === undefined ? {} : { command }),
      json: args.includes('--json'),
      debug: process.env.DYNASYNC_DEBUG === '1',
    });
    if (report.stdout !== undefined) process.stdout.write(report.stdout);
    process.stderr.write(report.stderr);
    process.exitCode = report.exitCode;
  }
}
