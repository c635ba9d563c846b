import type { Command } from 'commander';
import { exitCodesHelp, positiveInt } from '../_shared/cliOptions.js';
import { type DemoOptions, runDemo } from './runDemo.js';

/** Registers `dynasync demo`: {@link runDemo}, whose result is the exit code. */
export const addDemoCommand = (program: Command): Command =>
  program
    .command('demo')
    .description(
      'run two local regions (DynamoDB Local) active-active under a mixed workload and prove they converge',
    )
    .option('--seconds <n>', 'how long the workload runs', positiveInt, 20)
    .option('--keys <n>', 'distinct keys written', positiveInt, 500)
    .option(
      '--rate <n>',
      'writes per second in each region (default: a quarter of the capacity measured during warm-up)',
      positiveInt,
    )
    .addHelpText(
      'after',
      exitCodesHelp({
        0: 'the regions converged and verify found no drift',
        1: 'they did not converge, or verify found drift',
        2: 'usage or runtime error (no Java for DynamoDB Local, …)',
      }),
    )
    .action(async (options: Pick<DemoOptions, 'seconds' | 'keys' | 'rate'>) => {
      process.exitCode = await runDemo(options);
    });
