import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { loadConfigFile } from '../../core/config/loadConfig.js';
import type { Config } from '../../core/config/types.js';
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
import { createReadClients } from '../_shared/createReadClients.js';
import { describeTable } from '../_shared/describeTable.js';
import { peerPipeline } from '../_shared/peerPipeline.js';
import { pipelineKeySealer, pipelineTransform } from '../_shared/peerTransform.js';
import { terminalProgressBar, withInterrupts } from '../_shared/progressBar.js';
import { DEFAULT_RETRY } from '../_shared/withRetries.js';
import {
  checkEngineFlags,
  parseEngine,
  type ScaleoutEngine,
  stepFunctionsTargetOf,
  withEngineOptions,
} from '../scaleout/engineOption.js';
import type { JobSpec, TaskRunner } from '../scaleout/protocol.js';
import { runLocalBackfill } from '../scaleout/runLocalBackfill.js';
import { runStepFunctionsBackfillJob } from '../scaleout/runStepFunctionsBackfillJob.js';
import { stepFunctionsBar } from '../scaleout/segmentsBar.js';
import type { SourceTransform } from '../verify/types.js';
import { type BackfillOptions, backfill, type KeySealer, validateBackfillOptions } from './backfill.js';
import { BackfillErrorCodes, backfillError } from './errors.js';
import { type BackfillEstimate, estimateBackfillUnits, formatBackfillEstimate } from './estimateUnits.js';
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
  /**
   * `local` runs in this process: the one-process backfill, or the scale-out task engine's segment
   * workers when `--workers`, `--job-id` or `--job-dir` is given; `stepfunctions` drives a deployed
   * `DynasyncScaleout` state machine. @default 'local'
   */
  readonly engine?: string;
  /** Segment workers of the job (`--engine local`: in this process). @default 4 with --job-id or --job-dir */
  readonly workers?: number;
  /** Resume the job of this id (finished segments are not scanned again). @default a fresh id */
  readonly jobId?: string;
  /** The local job store's folder. @default `<os.tmpdir()>/dynasync-jobs` */
  readonly jobDir?: string;
  /** `--state-machine-arn` (`--engine stepfunctions`, required): the stack's `StateMachineArn` output. */
  readonly stateMachineArn?: string;
  /** `--job-bucket` (`--engine stepfunctions`, required): the stack's `JobBucket` output. */
  readonly jobBucket?: string;
  /** `--job-prefix` (`--engine stepfunctions`): prepended to the job store's keys. @default '' */
  readonly jobPrefix?: string;
  /** `--aws-endpoint-url` (`--engine stepfunctions`): one endpoint for Step Functions and S3. @default AWS's */
  readonly awsEndpointUrl?: string;
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
  /** `--engine stepfunctions`: the Step Functions client. @default one for the ARN's region */
  readonly sfn?: SFNClient;
  /** `--engine stepfunctions`: the job bucket's S3 client. @default one for the ARN's region */
  readonly s3?: S3Client;
  /** `--engine stepfunctions`: how often the execution is polled. @default 2_000 */
  readonly pollMs?: number;
  /** Job runs (`--workers`, `--job-id`): wraps the local task runner (tests). @default none */
  readonly wrapRunner?: (runner: TaskRunner) => TaskRunner;
}

/** The exit code a report calls for; see {@link BackfillExitCodes}. */
export const backfillExitCodeOf = (report: BackfillReport): number =>
  report.complete ? BackfillExitCodes.complete : BackfillExitCodes.incomplete;

const progressText = (event: BackfillProgress): Record<string, string | number> => ({
  speed: 0,
  phase: `${event.written} written, ${event.stale} stale | ${Math.round(event.consumedCapacity.read)} RCU, ${Math.round(event.consumedCapacity.write)} WCU | ${event.concurrency} in flight`,
});

/** How a run goes: the one-process backfill, or a job of segment tasks in this process or on Step Functions. */
export type BackfillRunMode = 'single' | ScaleoutEngine;

/**
 * The run the options ask for, checked before any config is read: `--engine stepfunctions`, a local
 * job when `--workers`, `--job-id` or `--job-dir` is given, else the one-process backfill.
 * @throws DynasyncError `backfill.invalidOption` (exit 2) naming the flag: an unknown engine, a missing
 *   or misplaced Step Functions flag, `--checkpoint` or `--resume` with a job (it resumes by `--job-id`)
 */
export const backfillModeOf = (options: BackfillCommandOptions): BackfillRunMode => {
  const engine = parseEngine('backfill', options.engine);
  checkEngineFlags('backfill', engine, options);
  const job =
    engine === 'stepfunctions' ||
    options.workers !== undefined ||
    options.jobId !== undefined ||
    options.jobDir !== undefined;
  if (!job) return 'single';
  const checkpointFlag =
    options.checkpoint !== undefined ? 'checkpoint' : options.resume === true ? 'resume' : undefined;
  if (checkpointFlag !== undefined)
    throw backfillError(
      BackfillErrorCodes.invalidOption,
      `backfill: --${checkpointFlag} belongs to the one-process run; a job (--workers, --job-id, --engine stepfunctions) keeps its progress in its job store and resumes with --job-id`,
      { option: checkpointFlag },
    );
  return engine;
};

/** The run settings both the one-process run and a job take from the command's options. */
const runSettingsOf = (options: BackfillCommandOptions) => ({
  ...(options.segments === undefined ? {} : { segments: options.segments }),
  ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
  ...(options.maxWps === undefined ? {} : { maxWps: options.maxWps }),
  ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
});

/** What a run needs besides the options: the config, the target's pipeline and where it prints. */
interface BackfillRun {
  readonly config: Config;
  readonly transform?: SourceTransform;
  readonly keySealer?: KeySealer;
  readonly print: (text: string) => void;
  readonly onEstimate: (estimate: BackfillEstimate) => void;
  readonly io: BackfillCommandIo;
  readonly signal: AbortSignal;
}

/** The one-process {@link backfill}, its progress bar on a terminal. */
const runSingle = async (options: BackfillCommandOptions, run: BackfillRun): Promise<BackfillReport> => {
  const bar = terminalProgressBar(
    run.io.progressStream ?? process.stderr,
    'backfill [{bar}] {percentage}% {value}/{total} | {speed}/s | {eta} | {phase}',
  );
  const started = performance.now();
  try {
    return await backfill({
      config: run.config,
      from: options.from,
      to: options.to,
      ...runSettingsOf(options),
      ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
      ...(run.io.clients === undefined ? {} : { clients: run.io.clients }),
      ...(run.keySealer === undefined ? {} : { keySealer: run.keySealer }),
      ...(run.transform === undefined ? {} : { transform: run.transform }),
      ...run.io.overrides,
      resume: options.resume === true,
      targetIdle: options.targetIdle === true,
      fastPath: options.fastPath !== false,
      signal: run.signal,
      onEstimate: run.onEstimate,
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
    });
  } finally {
    bar?.stop();
  }
};

/** The job's settings, the same on both engines. */
const jobSettingsOf = (options: BackfillCommandOptions) => ({
  ...(options.segments === undefined ? {} : { segments: options.segments }),
  ...(options.workers === undefined ? {} : { workers: options.workers }),
  ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
  ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
  ...(options.maxWps === undefined ? {} : { maxWps: options.maxWps }),
  options: {
    ...(options.concurrency === undefined ? {} : { writeConcurrency: options.concurrency }),
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
  },
});

/** The job's segments on the local engine, with items and items/s so far, on a terminal. */
const localJobBar = (stream: NodeJS.WritableStream & { readonly isTTY?: boolean }) => {
  const bar = terminalProgressBar(
    stream,
    'backfill [{bar}] {percentage}% {value}/{total} segments | {speed} items/s | {eta} | {phase}',
  );
  const started = performance.now();
  return {
    update(done: number, total: number, items: number): void {
      const seconds = (performance.now() - started) / 1000;
      bar?.update(done, total, {
        speed: Math.round(items / Math.max(seconds, 0.001)),
        phase: `${items} items scanned`,
      });
    },
    stop(): void {
      bar?.stop();
    },
  };
};

/** A job of segment tasks: in-process workers, or the deployed state machine; the units estimate first. */
const runJob = async (
  options: BackfillCommandOptions,
  run: BackfillRun,
  engine: ScaleoutEngine,
): Promise<BackfillReport> => {
  const { config, io } = run;
  // The one-process run's checks (regions, segments, rates…), before any client is made.
  validateBackfillOptions({
    config,
    from: options.from,
    to: options.to,
    ...runSettingsOf(options),
  });
  const ownClients = io.clients === undefined;
  const clients = io.clients ?? createReadClients(config);
  const stream = io.progressStream ?? process.stderr;
  const onJob = (spec: JobSpec, where: string): void => {
    if (options.json !== true)
      run.print(
        `backfill: job ${spec.jobId} (${spec.segments.length} segments) in ${where}; resume with --job-id ${spec.jobId}`,
      );
  };
  try {
    const source = await describeTable(
      'backfill',
      clients[options.from]!,
      options.from,
      config.regions[options.from]!.table,
      { ...DEFAULT_RETRY, attempts: 3 },
      run.signal,
    );
    run.onEstimate(estimateBackfillUnits(source.itemCount, source.sizeBytes));
    if (engine === 'stepfunctions') return await runOnStepFunctions(options, run, stream, onJob);
    const bar = localJobBar(stream);
    try {
      const job = await runLocalBackfill({
        config,
        from: options.from,
        to: options.to,
        clients,
        ...jobSettingsOf(options),
        ...(options.jobDir === undefined ? {} : { jobDir: options.jobDir }),
        ...(run.transform === undefined ? {} : { transform: run.transform }),
        ...(run.keySealer === undefined ? {} : { keySealer: run.keySealer }),
        ...(io.overrides?.retry === undefined ? {} : { retry: io.overrides.retry }),
        ...(io.wrapRunner === undefined ? {} : { wrapRunner: io.wrapRunner }),
        onSegments: bar.update,
        onJob,
        signal: run.signal,
      });
      return job.report;
    } finally {
      bar.stop();
    }
  } finally {
    if (ownClients) for (const client of Object.values(clients)) client.destroy();
  }
};

/** The job on a deployed `DynasyncScaleout` state machine: its workers run the backfill task runner. */
const runOnStepFunctions = async (
  options: BackfillCommandOptions,
  run: BackfillRun,
  stream: NodeJS.WritableStream & { readonly isTTY?: boolean },
  onJob: (spec: JobSpec, where: string) => void,
): Promise<BackfillReport> => {
  const bar = stepFunctionsBar(stream, 'backfill');
  try {
    const job = await runStepFunctionsBackfillJob({
      config: run.config,
      from: options.from,
      to: options.to,
      ...stepFunctionsTargetOf(options),
      ...jobSettingsOf(options),
      ...(run.io.sfn === undefined ? {} : { sfn: run.io.sfn }),
      ...(run.io.s3 === undefined ? {} : { s3: run.io.s3 }),
      ...(run.io.pollMs === undefined ? {} : { pollMs: run.io.pollMs }),
      onProgress: bar.update,
      onJob,
      signal: run.signal,
    });
    return job.report;
  } finally {
    bar.stop();
  }
};

/**
 * `dynasync backfill`: runs {@link backfill} (or, with `--workers`, `--job-id` or `--engine
 * stepfunctions`, a job of segment tasks that gives the same report on its conditional path), prints
 * the units it will consume first, shows a progress bar on a terminal, prints the summary table (or
 * the report as JSON with `--json`) and returns the exit code.
 * @throws DynasyncError on bad options, config or checkpoint, unreachable tables, writes that keep
 *   failing, and interruption (exit code 2; the checkpoint or the job store keeps the progress).
 */
export const runBackfillCommand = async (
  options: BackfillCommandOptions,
  io: BackfillCommandIo = {},
): Promise<number> => {
  const mode = backfillModeOf(options);
  const print = io.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const paint = painter(
    options.json !== true &&
      (io.colour ?? (io.print === undefined && colourEnabled({ isTTY: process.stdout.isTTY }))),
  );
  const config = withEndpoints('backfill', loadConfigFile(options.config), options.endpointUrl);
  // Source items go through the target's pipeline, as the replicator would write them.
  const pipeline = await peerPipeline(config, options.from, options.to, io);
  // A masking peer's source keys are personal data: the checkpoint keeps them sealed under the masking key.
  const keySealer = pipelineKeySealer(config, options.from, pipeline, io.keys);
  const transform = pipelineTransform(pipeline, options.from, options.to);
  let estimate: BackfillEstimate | undefined;
  const report = await withInterrupts(io.signal, (signal) => {
    const run: BackfillRun = {
      config,
      ...(io.overrides?.transform !== undefined
        ? { transform: io.overrides.transform }
        : transform === undefined
          ? {}
          : { transform }),
      ...(keySealer === undefined ? {} : { keySealer }),
      print,
      onEstimate: (planned: BackfillEstimate) => {
        estimate = planned;
        if (options.json !== true) print(formatBackfillEstimate(planned));
      },
      io,
      signal,
    };
    return mode === 'single' ? runSingle(options, run) : runJob(options, run, mode);
  });
  if (options.json === true) print(JSON.stringify({ ...report, estimate }, null, 2));
  else for (const line of formatBackfillReport(report, paint)) print(line);
  return backfillExitCodeOf(report);
};

/**
 * Registers `dynasync backfill` on the CLI program. The action sets `process.exitCode` (0 complete,
 * 1 incomplete); errors propagate to the CLI's handler, which prints the code and exits with 2.
 */
export const addBackfillCommand = (program: Command): Command =>
  withEngineOptions(
    withConfigAndAccountOptions(
      program
        .command('backfill')
        .description(
          "seed a region's table from another while live replication runs: conditional writes that never overwrite newer data, checkpointed per page",
        ),
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
        // Bad engine flags are refused before the config is read.
        backfillModeOf({ ...options, from: '', to: '' });
        applyProfile(options.profile);
        const pair = regionPair('backfill', loadConfigFile(options.config), options);
        process.exitCode = await runBackfillCommand({ ...options, ...pair });
      },
    );
