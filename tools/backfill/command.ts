import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Command } from 'commander';
import { loadConfigFile } from '../../core/config/loadConfig.js';
import type { KeyProvider, ModuleLoader } from '../../pipeline/types.js';
import {
  applyProfile,
  type EndpointOverride,
  exitCodesHelp,
  positive,
  positiveInt,
  regionPair,
  withConfigAndAccountOptions,
  withEndpoints,
} from '../_shared/cliOptions.js';
import { colourEnabled, painter } from '../_shared/colour.js';
import { peerPipeline } from '../_shared/peerPipeline.js';
import { pipelineKeySealer, pipelineTransform } from '../_shared/peerTransform.js';
import { terminalProgressBar, withInterrupts } from '../_shared/progressBar.js';
import { type BackfillOptions, backfill } from './backfill.js';
import { BackfillErrorCodes, backfillError } from './errors.js';
import { type BackfillEstimate, formatBackfillEstimate } from './estimateUnits.js';
import { formatBackfillReport } from './formatReport.js';
import type { BackfillProgress, BackfillReport } from './types.js';

/** Exit codes of `dynasync backfill`. */
export const BackfillExitCodes = {
  /** Every item was written or found stale (newer data or a tombstone in the target). */
  complete: 0,
  /** The run finished, but some items were not written (skipped as unsafe, or rejected). */
  incomplete: 1,
  /** The run failed or was interrupted: bad options, config or checkpoint, unreachable tables (progress is checkpointed). */
  error: 2,
} as const;

/**
 * The parsed options of `dynasync backfill`: {@link BackfillOptions}' own (their defaults are
 * `backfill()`'s), plus the config file, endpoint overrides and `--json`.
 */
export interface BackfillCommandOptions
  extends Pick<
    BackfillOptions,
    | 'from'
    | 'to'
    | 'segments'
    | 'concurrency'
    | 'maxRps'
    | 'maxWps'
    | 'pageSize'
    | 'checkpoint'
    | 'resume'
    | 'targetIdle'
    | 'fastPath'
  > {
  readonly config: string;
  /** `--endpoint-url <region>=<url>`: endpoint overrides for this run. @default none */
  readonly endpointUrl?: readonly EndpointOverride[];
  /** @default false */
  readonly json?: boolean;
  /** `--engine`: `local` runs here; `stepfunctions` (a Distributed Map over segment tasks) is not wired yet. @default 'local' */
  readonly engine?: string;
}

/** Where the command writes, and what it may be given instead of creating it. */
export interface BackfillCommandIo {
  /**
   * Colour the summary. @default on when the summary goes to `process.stdout` and
   * {@link colourEnabled} says so (a terminal, `NO_COLOR` / `FORCE_COLOR`); never with `--json`
   */
  readonly colour?: boolean;
  /** @default process.stdout */
  readonly print?: (text: string) => void;
  /** The bar only appears when it is a TTY. @default process.stderr */
  readonly progressStream?: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly signal?: AbortSignal;
  readonly clients?: Readonly<Record<string, DynamoDBClient>>;
  /** Extra options for the library call (e.g. the peer's pipeline as `transform`). */
  readonly overrides?: Partial<Pick<BackfillOptions, 'transform' | 'retry'>>;
  /** Masking keys of the target's pipeline. @default the provider the config's `keys` asks for */
  readonly keys?: KeyProvider;
  /** Loads the target pipeline's map modules. @default `import()` */
  readonly loadModule?: ModuleLoader;
}

/** The exit code a report calls for; see {@link BackfillExitCodes}. */
export const backfillExitCodeOf = (report: BackfillReport): number =>
  report.complete ? BackfillExitCodes.complete : BackfillExitCodes.incomplete;

const progressText = (event: BackfillProgress): Record<string, string | number> => ({
  speed: 0,
  phase: `${event.written} written, ${event.stale} stale | ${Math.round(event.consumedCapacity.read)} RCU, ${Math.round(event.consumedCapacity.write)} WCU | ${event.concurrency} in flight`,
});

/**
 * `dynasync backfill`: runs {@link backfill}, shows a progress bar on a terminal, prints the summary
 * table (or the report as JSON with `--json`) and returns the exit code.
 * @throws DynasyncError on bad options, config or checkpoint, unreachable tables, writes that keep
 *   failing, and interruption (exit code 2; the checkpoint keeps the progress).
 */
export const runBackfillCommand = async (
  options: BackfillCommandOptions,
  io: BackfillCommandIo = {},
): Promise<number> => {
  const print = io.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const paint = painter(
    options.json !== true &&
      (io.colour ?? (io.print === undefined && colourEnabled({ isTTY: process.stdout.isTTY }))),
  );
  if ((options.engine ?? 'local') !== 'local')
    throw backfillError(
      BackfillErrorCodes.invalidOption,
      options.engine === 'stepfunctions'
        ? 'backfill: --engine stepfunctions is not available in this build yet; run with --engine local (the default)'
        : `backfill: --engine must be local or stepfunctions, got "${options.engine}"`,
      { option: 'engine' },
    );
  const config = withEndpoints('backfill', loadConfigFile(options.config), options.endpointUrl);
  // Source items go through the target's pipeline, as the replicator would write them.
  const pipeline = await peerPipeline(config, options.from, options.to, io);
  // A masking peer's source keys are personal data: the checkpoint keeps them sealed under the masking key.
  const keySealer = pipelineKeySealer(config, options.from, pipeline, io.keys);
  const transform = pipelineTransform(pipeline, options.from, options.to);
  const bar = terminalProgressBar(
    io.progressStream ?? process.stderr,
    'backfill [{bar}] {percentage}% {value}/{total} | {speed}/s | {eta} | {phase}',
  );
  const started = performance.now();
  let report: BackfillReport;
  let estimate: BackfillEstimate | undefined;
  try {
    report = await withInterrupts(io.signal, (signal) =>
      backfill({
        config,
        from: options.from,
        to: options.to,
        ...(options.segments === undefined ? {} : { segments: options.segments }),
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
        ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
        ...(options.maxWps === undefined ? {} : { maxWps: options.maxWps }),
        ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
        ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
        ...(io.clients === undefined ? {} : { clients: io.clients }),
        ...(keySealer === undefined ? {} : { keySealer }),
        ...(transform === undefined ? {} : { transform }),
        ...io.overrides,
        resume: options.resume === true,
        targetIdle: options.targetIdle === true,
        fastPath: options.fastPath !== false,
        signal,
        onEstimate: (planned: BackfillEstimate) => {
          estimate = planned;
          if (options.json !== true) print(formatBackfillEstimate(planned));
        },
        ...(bar === undefined
          ? {}
          : {
              onProgress: (event: BackfillProgress) => {
                const seconds = (performance.now() - started) / 1000;
                bar.update(event.resumedFrom + event.scanned, event.estimatedTotal, {
                  ...progressText(event),
                  speed: Math.round(event.scanned / Math.max(seconds, 0.001)),
                });
              },
            }),
      }),
    );
  } finally {
    bar?.stop();
  }
  if (options.json === true) print(JSON.stringify({ ...report, estimate }, null, 2));
  else for (const line of formatBackfillReport(report, paint)) print(line);
  return backfillExitCodeOf(report);
};

/**
 * Registers `dynasync backfill` on the CLI program. The action sets `process.exitCode` (0 complete,
 * 1 incomplete); errors propagate to the CLI's handler, which prints the code and exits with 2.
 */
export const addBackfillCommand = (program: Command): Command =>
  withConfigAndAccountOptions(
    program
      .command('backfill')
      .description(
        "seed a region's table from another while live replication runs: conditional writes that never overwrite newer data, checkpointed per page",
      ),
  )
    .option('--from <region>', "the region whose table is copied (default: a one-way topology's source)")
    .option('--to <region>', "the region whose table is seeded (default: a one-way topology's only replica)")
    .option('--segments <n>', 'parallel scan segments', positiveInt)
    .option('--concurrency <n>', 'write requests in flight at most (halved on throttling)', positiveInt)
    .option('--max-rps <units>', 'read capacity units per second for the scan', positive)
    .option('--max-wps <units>', 'write capacity units per second for the writes', positive)
    .option('--page-size <n>', 'items per scan page', positiveInt)
    .option(
      '--checkpoint <file>',
      'checkpoint file (default: <checkpointDir>/backfill-<from>-<to>-<table>.json)',
    )
    .option('--resume', "continue the checkpoint's run after its last finished pages", false)
    .option(
      '--target-idle',
      'promise that nothing writes the target during the run (replication into it stopped): allows the fast path on an empty target',
      false,
    )
    .option('--no-fast-path', 'never use batch writes, even on an empty idle target')
    .option('--json', 'print the summary as JSON (with the estimate of the units the run consumes)', false)
    .option(
      '--engine <engine>',
      'local (this process) or stepfunctions (not available yet: exits 2)',
      'local',
    )
    .addHelpText(
      'after',
      exitCodesHelp({
        0: 'every item was written or found stale',
        1: 'the run finished, but some items were not written (skipped as unsafe, or rejected)',
        2: 'usage, config or checkpoint error, tables unreachable, interrupted (progress is checkpointed)',
      }),
    )
    .action(
      async (
        options: Omit<BackfillCommandOptions, 'from' | 'to'> & {
          readonly from?: string;
          readonly to?: string;
          readonly profile?: string;
        },
      ) => {
        applyProfile(options.profile);
        const pair = regionPair('backfill', loadConfigFile(options.config), options);
        process.exitCode = await runBackfillCommand({ ...options, ...pair });
      },
    );
