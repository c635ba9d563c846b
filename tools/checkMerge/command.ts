import type { Command } from 'commander';
import { exitCodesHelp, wholeNumber } from '../_shared/cliOptions.js';
import { checkMergeModule, formatCheckMergeReport } from './checkMergeModule.js';

/**
 * Adds `dynasync check-merge MODULE`: fast-check runs the merge module against generated items and
 * reports the first law it breaks with a shrunk counterexample. Exit code 0 when every law holds, 1
 * when one breaks, 2 on errors (a module that cannot be imported or exports no `merge`).
 */
export const addCheckMergeCommand = (program: Command): void => {
  program
    .command('check-merge')
    .description('check that a merge module is idempotent, commutative and associative (fast-check)')
    .argument('<module>', 'path of a module exporting merge(local, remote, context)')
    .option('--runs <n>', 'generated cases per law', wholeNumber, 200)
    .option('--seed <n>', 'replay a run with this seed', wholeNumber)
    .option('--json', 'print the report as JSON', false)
    .addHelpText(
      'after',
      exitCodesHelp({
        0: 'every law holds',
        1: 'a law breaks (the report shows the shrunk counterexample and the seed)',
        2: 'usage error, or a module that cannot be imported or exports no merge',
      }),
    )
    .action(async (module: string, options: { runs: number; seed?: number; json: boolean }) => {
      const report = await checkMergeModule(module, {
        numRuns: options.runs,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      });
      process.stdout.write(
        options.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : `${formatCheckMergeReport(module, report).join('\n')}\n`,
      );
      process.exitCode = report.ok ? 0 : 1;
    });
};
