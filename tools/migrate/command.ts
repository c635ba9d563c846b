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
import { colourEnabled, type Paint, painter, plain } from '../_shared/colour.js';
import { withInterrupts } from '../_shared/progressBar.js';
import { formatBackfillReport } from '../backfill/formatReport.js';
import { formatReport } from '../verify/formatReport.js';
import { followReporter } from './followReporter.js';
import type { StreamSyncStats } from './MigrateApplier.js';
import { type MigrateOptions, type MigrateReport, migrate } from './migrate.js';

/** Exit codes of `dynasync migrate`. */
export const MigrateExitCodes = {
  /** Ready for cutover: backfill complete, stream sync clean, verify in sync. */
  ready: 0,
  /** Not ready: drift, or items not written (the report says why). */
  notReady: 1,
  /** The run failed: bad options, config or transform module, unreachable tables, interrupted. */
  error: 2,
} as const;

/**
 * The parsed options of `dynasync migrate`: {@link MigrateOptions}' own where they mean the same
 * (their defaults are `migrate()`'s), plus the config file and the command's output options.
 */
export interface MigrateCommandOptions
  extends Pick<MigrateOptions, 'segments' | 'maxRps' | 'maxWps' | 'pageSize' | 'resume'> {
  readonly config: string;
  /** `--settle`: {@link MigrateOptions}' `settleSeconds`. */
  readonly settle?: MigrateOptions['settleSeconds'];
  /** @default false */
  readonly follow?: boolean;
  /** @default false */
  readonly json?: boolean;
}

/** Where `dynasync migrate` writes. */
export interface MigrateCommandIo {
  /** The report (text or JSON) and the follow summary. @default process.stdout */
  readonly print?: (text: string) => void;
  /** Colour the report. @default as verify's: stdout on a terminal, `NO_COLOR` / `FORCE_COLOR`; never with `--json` */
  readonly colour?: boolean;
  /** The live counts of `--follow`: a line redrawn on a TTY, a JSON line every 30 s otherwise. @default process.stderr */
  readonly liveStream?: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

/** The summary of a migration run for a terminal: readiness first, then the backfill's and verify's tables. */
export const formatMigrateReport = (report: MigrateReport, paint: Paint = plain): string[] => [
  `dynasync migrate ${report.source.table} (${report.source.region}) → ${report.target.table} (${report.target.region})`,
  '',
  `  cutover      ${report.ready ? paint('READY: the new table holds transform(legacy), verified', 'green') : paint(`NOT READY: ${report.reasons.join('; ')}`, 'red')}`,
  `  stream sync  ${report.stream.records} records: ${report.stream.puts} derived puts, ${report.stream.deletes} obsolete derived items tombstoned; ${report.stream.applied} applied, ${report.stream.stale} stale, ${report.stream.failed} failed`,
  '',
  ...formatBackfillReport(report.backfill, paint),
  '',
  ...formatReport(report.verify, paint),
];

/**
 * `dynasync migrate`: runs {@link migrate}, prints the summary (or JSON) and returns the exit code.
 * With `--follow` the summary is printed as soon as it is ready and the stream sync goes on until
 * SIGINT/SIGTERM (cutover); the exit code is still the report's.
 */
export const runMigrateCommand = async (
  options: MigrateCommandOptions,
  io: MigrateCommandIo = {},
): Promise<number> => {
  const print = io.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const config = loadConfigFile(options.config);
  const paint = painter(
    options.json !== true &&
      (io.colour ?? (io.print === undefined && colourEnabled({ isTTY: process.stdout.isTTY }))),
  );
  const live = io.liveStream ?? process.stderr;
  let follow:
    | { readonly reporter: ReturnType<typeof followReporter>; readonly timer: NodeJS.Timeout }
    | undefined;
  const show = (report: MigrateReport, liveStats: () => StreamSyncStats) => {
    if (options.json === true) print(JSON.stringify(report, null, 2));
    else for (const line of formatMigrateReport(report, paint)) print(line);
    if (options.follow !== true) return;
    if (options.json !== true) print('stream sync running until SIGINT/SIGTERM (cutover) ...');
    const tty = live.isTTY === true && options.json !== true;
    const reporter = followReporter({ stats: liveStats, tty, write: (text) => live.write(text) });
    const timer = setInterval(() => reporter.tick(), tty ? 1_000 : 30_000);
    timer.unref();
    follow = { reporter, timer };
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
  if (follow !== undefined) {
    clearInterval(follow.timer);
    const summary = follow.reporter.stop();
    if (options.json === true) print(JSON.stringify({ event: 'migrate.followStopped', summary }));
    else for (const line of summary) print(line);
  }
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
