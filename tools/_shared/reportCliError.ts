import { CommanderError } from 'commander';
import { ErrorCodes, isDynasyncError } from '../../core/errors.js';
import { ExitCodes } from './cliOptions.js';

/** How the CLI reports an error that ended a command. */
export interface CliErrorReport {
  /** What goes to stderr: one line (`dynasync: …`), a hint on usage errors, the stack only when debugging. */
  readonly stderr: string;
  /** With `--json`: `{"error":{"code":…,"message":…}}` for stdout. */
  readonly stdout: string | undefined;
  readonly exitCode: number;
}

/** Where the error happened and how the user asked for output. */
export interface CliErrorContext {
  /** The command the user ran (`verify`), for the usage hint; absent before one was recognised. */
  readonly command?: string | undefined;
  /** `--json` was on the command line. */
  readonly json: boolean;
  /** `DYNASYNC_DEBUG=1`: append the stack. */
  readonly debug: boolean;
}

/** Commander "errors" that are not errors: `--help` and `--version` were printed. */
const DISPLAYED = new Set(['commander.helpDisplayed', 'commander.version']);

/** True when the error is commander having printed help or the version (exit code 0). */
export const isDisplayOnly = (error: unknown): boolean =>
  error instanceof CommanderError && DISPLAYED.has(error.code);

/** True when commander printed the help because no command was given (a usage error, exit code 2). */
export const isHelpForMissingCommand = (error: unknown): boolean =>
  error instanceof CommanderError && error.code === 'commander.help';

const firstLine = (text: string): string => text.split('\n')[0] ?? '';

/**
 * Turns whatever ended a command into what the user sees and the exit code, so nothing a user can
 * type prints a stack trace:
 *
 * - a commander parse error (missing required option, bad value, unknown option or command) and a
 *   `cli.usage` error: the error line and one hint (`run 'dynasync verify --help'`), exit 2;
 * - a {@link DynasyncError}: its message and code, exit 2;
 * - anything else: one line with its name and message, exit 2 (`DYNASYNC_DEBUG=1` adds the stack).
 *
 * With `--json`, the same error is also printed on stdout as `{"error":{"code","message"}}`.
 */
export const reportCliError = (error: unknown, context: CliErrorContext): CliErrorReport => {
  const hint = `run 'dynasync${context.command === undefined ? '' : ` ${context.command}`} --help' for the options`;
  let code: string;
  let message: string;
  let lines: string[];
  if (error instanceof CommanderError) {
    code = ErrorCodes.cli.usage;
    message = firstLine(error.message).replace(/^error: /, '');
    lines = [`dynasync: ${message}`, hint];
  } else if (isDynasyncError(error)) {
    code = error.code;
    message = error.message;
    lines = [`dynasync: ${message} (${code})`, ...(code === ErrorCodes.cli.usage ? [hint] : [])];
  } else {
    code = ErrorCodes.cli.unexpected;
    const name = error instanceof Error ? error.name : typeof error;
    message = `${name}: ${firstLine(error instanceof Error ? error.message : String(error))}`;
    lines = [
      `dynasync: ${message}`,
      ...(context.debug ? [] : ['(set DYNASYNC_DEBUG=1 to see where it happened)']),
    ];
  }
  if (context.debug && error instanceof Error && error.stack !== undefined) lines.push(error.stack);
  return {
    stderr: `${lines.join('\n')}\n`,
    stdout: context.json ? `${JSON.stringify({ error: { code, message } })}\n` : undefined,
    exitCode: ExitCodes.error,
  };
};
