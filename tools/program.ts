import { Command } from 'commander';
import { exitCodesHelp } from './_shared/cliOptions.js';
import { packageVersion } from './_shared/packageVersion.js';
import { addBackfillCommand } from './backfill/command.js';
import { addCheckMergeCommand } from './checkMerge/command.js';
import { addDecryptCommand } from './decrypt/command.js';
import { addDemoCommand } from './demo/command.js';
import { addInitCommand } from './init/command.js';
import { addMigrateCommand } from './migrate/command.js';
import { addRedriveCommand } from './redrive/command.js';
import { addRunCommand } from './run/command.js';
import { addStatusCommand } from './status/command.js';
import { addTablesCommand } from './tables/command.js';
import { addTokenizeCommand } from './tokenize/command.js';
import { addVerifyCommand } from './verify/command.js';
import { addWorkerCommand } from './worker/command.js';

/**
 * The `dynasync` program with every command, each registered by its `tools/<command>/command.ts`
 * (in the order `dynasync --help` lists them). Parse errors throw CommanderErrors (`exitOverride`)
 * and print nothing: `tools/cli.ts` reports them (exit 2, one line and one hint).
 */
export const createProgram = (): Command => {
  const program = new Command()
    .name('dynasync')
    .description('Keep DynamoDB tables in several AWS regions in sync.')
    .version(packageVersion(), '-V, --version', 'print the version of dynasync')
    // Parse errors become CommanderErrors for the one handler in tools/cli.ts (exit 2, one hint, no help dump).
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .addHelpText(
      'after',
      `${exitCodesHelp({
        0: 'success (in sync)',
        1: 'the finding the command exists for (drift, items not written, letters left, a broken law)',
        2: 'usage, config or runtime error, or interrupted',
      })}\n\nCommands that read a config take --config (default ./dynasync.json) and, in a one-way topology, default\n--from/--to/--region from it; "dynasync <command> --help" lists its exit codes.`,
    );

  addRunCommand(program);
  addRedriveCommand(program);
  addInitCommand(program);
  addTablesCommand(program);
  addVerifyCommand(program);
  addBackfillCommand(program);
  addWorkerCommand(program);
  addMigrateCommand(program);
  addStatusCommand(program);
  addDecryptCommand(program);
  addCheckMergeCommand(program);
  addTokenizeCommand(program);
  addDemoCommand(program);
  return program;
};
