import { CommanderError, InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { DynasyncError, ErrorCodes } from '../../../core/errors.js';
import { reportCliError } from '../../../tools/_shared/reportCliError.js';

const STACK_LINE = /^\s+at .+/m;
const plain = { command: 'verify', json: false, debug: false } as const;

describe('reportCliError', () => {
  it('prints an unknown error as one line with its name, no stack, exit 2; DYNASYNC_DEBUG adds the stack', () => {
    const error = new TypeError('Cannot read properties of undefined (reading "x")\nsecond line');

    const report = reportCliError(error, plain);
    const debug = reportCliError(error, { ...plain, debug: true });

    expect(report.exitCode).toBe(2);
    expect(report.stderr.split('\n')[0]).toBe(
      'dynasync: TypeError: Cannot read properties of undefined (reading "x")',
    );
    expect(report.stderr).not.toMatch(STACK_LINE);
    expect(report.stderr).not.toContain('second line');
    expect(debug.stderr).toMatch(STACK_LINE);
  });

  it('prints a DynasyncError with its code and no stack; a cli.usage one with the hint', () => {
    const config = new DynasyncError(ErrorCodes.config.invalidField, 'regions.eu.table: expected a name');
    const usage = new DynasyncError(ErrorCodes.cli.usage, 'dynasync verify: --from is required');

    const configReport = reportCliError(config, plain);
    const usageReport = reportCliError(usage, plain);

    expect(configReport.stderr).toBe('dynasync: regions.eu.table: expected a name (config.invalidField)\n');
    expect(configReport.exitCode).toBe(2);
    expect(usageReport.stderr).toContain("run 'dynasync verify --help'");
  });

  it("turns a commander parse error into exit 2: its line and one hint, 'error: ' dropped", () => {
    const error = new CommanderError(1, 'commander.unknownOption', "error: unknown option '--bogus'");

    const report = reportCliError(error, plain);

    expect(report.exitCode).toBe(2);
    expect(report.stderr).toBe(
      "dynasync: unknown option '--bogus'\nrun 'dynasync verify --help' for the options\n",
    );
    expect(
      reportCliError(new InvalidArgumentError('bad'), { ...plain, command: undefined }).stderr,
    ).toContain("run 'dynasync --help'");
  });

  it('with --json puts {"error":{"code","message"}} on stdout for every kind of error', () => {
    const json = { ...plain, json: true };

    const outputs = [
      new CommanderError(
        1,
        'commander.missingMandatoryOptionValue',
        "error: required option '--to' not specified",
      ),
      new DynasyncError(ErrorCodes.config.unreadable, 'cannot read config file ./dynasync.json'),
      new RangeError('boom'),
      'a string',
    ].map((error) => JSON.parse(reportCliError(error, json).stdout ?? 'null'));

    expect(outputs).toEqual([
      { error: { code: 'cli.usage', message: "required option '--to' not specified" } },
      { error: { code: 'config.unreadable', message: 'cannot read config file ./dynasync.json' } },
      { error: { code: 'cli.unexpected', message: 'RangeError: boom' } },
      { error: { code: 'cli.unexpected', message: 'string: a string' } },
    ]);
    expect(reportCliError(new RangeError('boom'), plain).stdout).toBeUndefined();
  });
});
