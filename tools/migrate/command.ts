import type { Command } from 'commander';
import { loadConfigFile } from '../../core/config/loadConfig.js';
import {
  applyProfile,
  exitCodesHelp,
  nonNegative,
  positive,
  positiveInt,
  withConfigOption,
  withProfileOption,
} from '../_shared/cliOptions.js';
import { withInterrupts } from '../_shared/progressBar.js';
import { formatBackfillReport } from '../backfill/formatReport.js';
import { formatReport } from '../verify/formatReport.js';
import { type MigrateReport, migrate } from './migrate.js';

/** Exit codes of `dynasync migrate`. */
export const MigrateExitCodes = {
  /** Ready for cutover: backfill complete, stream sync clean, verify in sync. */
  ready: 0,
  /** Not ready: drift, or items not written (the report says why). */
  notReady: 1,
  /** The run failed: bad options, config or transform module, unreachable tables, interrupted. */
  error: 2,
} as const;

/** The parsed options of `dynasync migrate`. */
export interface MigrateCommandOptions {
  readonly config: string;
  readonly segments?: number;
  readonly maxRps?: number;
  readonly maxWps?: number;
  readonly pageSize?: number;
  readonly settle?: number;
  /** @default false */
  readonly resume?: boolean;
  /** @default false */
  readonly follow?: boolean;
  /** @default false */
  readonly json?: boolean;
}

/** The summary of a migration run for a terminal: readiness first, then the backfill's and verify's tables. */
export const formatMigrateReport = (report: MigrateReport): string[] => [
  `dynasync migrate ${report.source.table} (${report.source.region}) → ${report.target.table} (${report.target.region})`,
  '',
  `  cutover      ${report.ready ? 'READY: the new table holds transform(legacy), verified' : `NOT READY: ${report.reasons.join('; ')}`}`,
  `  stream sync  ${report.stream.records} records: ${report.stream.puts} derived puts, ${report.stream.deletes} obsolete derived items tombstoned; ${report.stream.applied} applied, ${report.stream.stale} stale, ${report.stream.failed} failed`,
  '',
  ...formatBackfillReport(report.backfill),
  '',
  ...formatReport(report.verify),
];

/**
 * `dynasync migrate`: runs {@link migrate}, prints the summary (or JSON) and returns the exit code.
 * With `--follow` the summary is printed as soon as it is ready and the stream sync goes on until
 * SIGINT/SIGTERM (cutover); the exit code is still the report's.
 */
export const runMigrateCommand = async (
  options: MigrateCommandOptions,
  print: (text: string) => void = (text) => process.stdout.write(`${text}\n`),
): Promise<number> => {
  const config = loadConfigFile(options.config);
  const show = (report: MigrateReport) => {
    if (options.json === true) print(JSON.stringify(report, null, 2));
    else for (const line of formatMigrateReport(report)) print(line);
    if (options.follow === true) print('stream sync running until SIGINT/SIGTERM (cutover) ...');
  };
  const report = await withInterrupts(undefined, (signal) =>
    migrate({
      config,
      configFile: options.config,
      ...(options.segments === undefined ? {} : { segments: options.segments }),
      ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
      ...(options.maxWps === undefined ? {} : { maxWps: options.maxWps }),
      ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      ...(options.settle === undefined ? {} : { settleSeconds: options.settle }),
      resume: options.resume === true,
      onReport: show,
      // Until the report, a signal interrupts the run; after it (--follow), it ends the sync.
      ...(options.follow === true ? { keepSyncingUntil: signal } : { signal }),
    }),
  );
  return report.ready ? MigrateExitCodes.ready : MigrateExitCodes.notReady;
};

/** Registers `dynasync migrate` on the CLI program. */
export const addMigrateCommand = (program: Command): Command =>
  withProfileOption(
    withConfigOption(
      program
        .command('migrate')
        .description(
          'sync a legacy table into a new model through your transform module (stream sync + backfill), then verify readiness for cutover',
        ),
      'the dynasync config file with a "migrate" section',
    ),
  )
    .option('--segments <n>', 'backfill: parallel scan segments', positiveInt)
    .option('--max-rps <units>', 'backfill: read capacity units per second', positive)
    .option('--max-wps <units>', 'backfill: write capacity units per second', positive)
    .option('--page-size <n>', 'backfill: items per scan page', positiveInt)
    .option('--settle <seconds>', 'verify: grace period before differences are re-read', nonNegative)
    .option('--resume', "backfill: continue the checkpoint's run", false)
    .option('--follow', 'after the report, keep the stream sync running until SIGINT/SIGTERM', false)
    .option('--json', 'print the report as JSON', false)
    .addHelpText(
      'after',
      exitCodesHelp({
        0: 'ready for cutover: backfill complete, stream sync clean, verify in sync',
        1: 'not ready: drift, or items not written (the report says why)',
        2: 'usage, config or transform module error, tables unreachable, interrupted',
      }),
    )
    .action(async (options: MigrateCommandOptions & { readonly profile?: string }) => {
      applyProfile(options.profile);
      process.exitCode = await runMigrateCommand(options);
    });
