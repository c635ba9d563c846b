import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { decodeItem, encodeItem } from '../../core/codec.js';
import { loadConfigFile } from '../../core/config/loadConfig.js';
import type { Config } from '../../core/config/types.js';
import { PRIVATE_FILE_MODE } from '../../core/privateFile.js';
import type { WireItem } from '../../core/types.js';
import { type KeyHasher, resolveKeyHasher } from '../../keys/keyHasher.js';
import type { KeyProvider, ModuleLoader } from '../../pipeline/types.js';
import {
  applyProfile,
  type EndpointOverride,
  exitCodesHelp,
  nonNegative,
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
import { pipelineTransform } from '../_shared/peerTransform.js';
import { terminalProgressBar, withInterrupts } from '../_shared/progressBar.js';
import { DEFAULT_RETRY } from '../_shared/withRetries.js';
import { openExportLocation, parseExportLocation } from '../exports/ExportObjects.js';
import {
  checkEngineFlags,
  parseEngine,
  type ScaleoutEngine,
  stepFunctionsTargetOf,
  withEngineOptions,
} from '../scaleout/engineOption.js';
import { estimateScanReadUnits } from '../scaleout/estimateReadUnits.js';
import { runLocalVerify } from '../scaleout/runLocalVerify.js';
import { runStepFunctionsVerifyJob } from '../scaleout/runStepFunctionsVerifyJob.js';
import { stepFunctionsBar } from '../scaleout/segmentsBar.js';
import type { StepFunctionsProgress } from '../scaleout/stepFunctionsEngine.js';
import { VerifyErrorCodes, verifyError } from './errors.js';
import { formatReport } from './formatReport.js';
import type { Difference, PipelineRejection, VerifyProgress, VerifyReport } from './types.js';
import { type VerifyOptions, validateVerifyOptions, verify } from './verify.js';

/** Exit codes of `dynasync verify`. */
export const VerifyExitCodes = {
  /** In sync (settled differences are not drift); with `--repair`, every difference was repaired. */
  inSync: 0,
  /**
   * Drift found (with `--repair`: some of it is left, stale, failed or skipped; with `--dry-run`: any),
   * or the pipeline rejected live source items (`pipelineRejected`).
   */
  drift: 1,
  /** The run failed: bad options or config, a table unreachable, reads that kept failing, interrupted. */
  error: 2,
} as const;

/**
 * The parsed options of `dynasync verify`: {@link VerifyOptions}' own where they mean the same (their
 * defaults are `verify()`'s), plus the command's file, output and engine options.
 */
export interface VerifyCommandOptions
  extends Pick<
    VerifyOptions,
    'from' | 'to' | 'segments' | 'settleRounds' | 'maxRps' | 'repair' | 'dryRun' | 'spillDir'
  > {
  readonly config: string;
  /** `--endpoint-url <region>=<url>`: endpoint overrides for this run. @default none */
  readonly endpointUrl?: readonly EndpointOverride[];
  /** `--settle`: {@link VerifyOptions}' `settleSeconds`. @default 5 */
  readonly settle?: VerifyOptions['settleSeconds'];
  readonly output?: string;
  /** @default false */
  readonly json?: boolean;
  /**
   * `local` runs the scan through in-process segment workers when `--workers`, `--job-id` or
   * `--sample` is given (else the one-process verify, the same phase code); `stepfunctions` drives a
   * deployed state machine. @default 'local'
   */
  readonly engine?: string;
  /** Local segment workers (`--engine local`). @default 4 with --job-id or --sample */
  readonly workers?: number;
  /** Resume the job of this id (its store folder is printed at the start). @default a fresh id */
  readonly jobId?: string;
  /** Fraction of segments to verify, 0 < f ≤ 1. @default 1 */
  readonly sample?: number;
  /** The local job store's folder. @default `<os.tmpdir()>/dynasync-jobs` */
  readonly jobDir?: string;
  /**
   * `--state-machine-arn` (`--engine stepfunctions`, required): the `StateMachineArn` output of the
   * `DynasyncScaleout` stack.
   */
  readonly stateMachineArn?: string;
  /** `--job-bucket` (`--engine stepfunctions`, required): the stack's `JobBucket` output. */
  readonly jobBucket?: string;
  /** `--job-prefix` (`--engine stepfunctions`): prepended to the job store's keys. @default '' */
  readonly jobPrefix?: string;
  /** `--aws-endpoint-url` (`--engine stepfunctions`, or exports on S3): one endpoint for Step Functions and S3. @default AWS's */
  readonly awsEndpointUrl?: string;
  /**
   * `--from-export`: the source table's DynamoDB export (`s3://bucket/<prefix>/AWSDynamoDB/<ExportId>`
   * or a local copy), read instead of scanning the table; needs `--to-export` of the same instant.
   */
  readonly fromExport?: string;
  /** `--to-export`: the target table's export, taken at the same `ExportTime` as `--from-export`'s. */
  readonly toExport?: string;
}

/** Where the command writes, and what it may be given instead of creating it. */
export interface VerifyCommandIo {
  /**
   * Colour the summary. @default on when the summary goes to `process.stdout` and
   * {@link colourEnabled} says so (a terminal, `NO_COLOR` / `FORCE_COLOR`); never with `--json`
   */
  readonly colour?: boolean;
  /** The summary (text or JSON). @default process.stdout */
  readonly print?: (text: string) => void;
  /** The progress bar's stream; the bar only appears when it is a TTY. @default process.stderr */
  readonly progressStream?: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly signal?: AbortSignal;
  readonly clients?: Readonly<Record<string, DynamoDBClient>>;
  /** Masking keys of the target's pipeline. @default the provider the config's `keys` asks for */
  readonly keys?: KeyProvider;
  /** Loader of map modules. @default `import()` relative to the working directory */
  readonly loadModule?: ModuleLoader;
  /** `--engine stepfunctions`: the Step Functions client. @default one for the ARN's region */
  readonly sfn?: SFNClient;
  /** `--engine stepfunctions`: the job bucket's S3 client. @default one for the ARN's region */
  readonly s3?: S3Client;
  /** `--engine stepfunctions`: how often the execution is polled. @default 2_000 */
  readonly pollMs?: number;
}

/** The exit code a report calls for; see {@link VerifyExitCodes}. */
export const exitCodeOf = (report: VerifyReport): number => {
  if (report.inSync) return VerifyExitCodes.inSync;
  // Items the pipeline rejected are absent from the target whatever a repair did.
  if (Object.keys(report.pipelineRejected).length > 0) return VerifyExitCodes.drift;
  const drift = report.counts.missing + report.counts.extra + report.counts.different;
  if (report.repair !== undefined && !report.repair.dryRun && report.repair.counts.repaired === drift)
    return VerifyExitCodes.inSync;
  return VerifyExitCodes.drift;
};

/** Renders progress events as one bar on a terminal: items/s and ETA while scanning, then the phase. */
const progressBar = (stream: NodeJS.WritableStream & { readonly isTTY?: boolean }) => {
  const bar = terminalProgressBar(
    stream,
    'verify [{bar}] {percentage}% {value}/{total} | {speed}/s | {eta} | {phase}',
  );
  const started = performance.now();
  let total = 0;
  let value = 0;
  return {
    update(event: VerifyProgress): void {
      if (event.phase === 'scan') {
        value = event.scanned.source + event.scanned.target;
        total = Math.max(total, event.estimatedTotal, value);
      }
      const seconds = (performance.now() - started) / 1000;
      const phase =
        event.phase === 'scan'
          ? `scanning, ${Math.round(event.consumedCapacity.source + event.consumedCapacity.target)} read units`
          : event.phase === 'compare'
            ? `comparing partition ${event.partitionsDone}/${event.partitions}`
            : event.phase === 'settle'
              ? `round ${event.round}: ${event.candidates} keys differ, re-reading in ${Math.ceil(event.waitMs / 1000)} s`
              : `round ${event.round}: re-read ${event.done}/${event.candidates}`;
      bar?.update(value, total, { speed: Math.round(value / Math.max(seconds, 0.001)), phase });
    },
    stop(): void {
      bar?.stop();
    },
  };
};

/** The engine the options ask for, checked (exit 2 for an unknown one, a bad `--sample`, a missing flag). */
export const engineOf = (options: VerifyCommandOptions): ScaleoutEngine => {
  const engine = parseEngine('verify', options.engine);
  if (options.sample !== undefined && !(options.sample > 0 && options.sample <= 1))
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `verify: --sample must be a fraction of segments above 0 and at most 1, got ${options.sample}`,
      { option: 'sample' },
    );
  if (options.fromExport !== undefined || options.toExport !== undefined) {
    checkExportFlags(engine, options);
    // With exports, --aws-endpoint-url is S3's.
    const { awsEndpointUrl: _s3Endpoint, ...flags } = options;
    checkEngineFlags('verify', engine, flags);
    return engine;
  }
  checkEngineFlags('verify', engine, options);
  return engine;
};

/** `--from-export` and `--to-export` go together, on the one-process local run. */
const checkExportFlags = (engine: ScaleoutEngine, options: VerifyCommandOptions): void => {
  const missing =
    options.fromExport === undefined
      ? 'from-export'
      : options.toExport === undefined
        ? 'to-export'
        : undefined;
  if (missing !== undefined)
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `verify: --${missing} is missing; compare two exports taken at the same ExportTime, one of each table`,
      { option: missing },
    );
  const stray =
    engine !== 'local'
      ? 'engine'
      : options.workers !== undefined
        ? 'workers'
        : options.jobId !== undefined
          ? 'job-id'
          : options.sample !== undefined
            ? 'sample'
            : undefined;
  if (stray !== undefined)
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `verify: --${stray} does not go with --from-export: the exports are read whole, by this process`,
      { option: stray },
    );
};

/** The two exports' objects (S3 through one client, made only when a location is on S3). */
const exportObjectsOf = (options: VerifyCommandOptions, io: VerifyCommandIo) => {
  let client: S3Client | undefined;
  const s3 = () => {
    client ??=
      io.s3 ??
      new S3Client({
        followRegionRedirects: true,
        ...(options.awsEndpointUrl === undefined
          ? {}
          : { endpoint: options.awsEndpointUrl, forcePathStyle: true }),
      });
    return client;
  };
  return {
    source: openExportLocation(parseExportLocation(options.fromExport ?? '', '--from-export'), s3),
    target: openExportLocation(parseExportLocation(options.toExport ?? '', '--to-export'), s3),
  };
};

/** The read units the scans will consume, from DescribeTable (as AWS's bulk executor estimates them). */
const estimateRun = async (
  config: Config,
  options: VerifyCommandOptions,
  clients: Readonly<Record<string, DynamoDBClient>>,
  signal?: AbortSignal,
) => {
  const retry = { ...DEFAULT_RETRY, attempts: 3 };
  const side = async (region: string) => {
    const info = await describeTable(
      'verify',
      clients[region]!,
      region,
      config.regions[region]!.table,
      retry,
      signal,
    );
    return { items: info.itemCount, bytes: info.sizeBytes, readUnits: estimateScanReadUnits(info, fraction) };
  };
  const fraction = options.sample ?? 1;
  const [source, target] = await Promise.all([side(options.from), side(options.to)]);
  return { sample: fraction, source, target };
};

type RunEstimate = Awaited<ReturnType<typeof estimateRun>>;

const formatEstimate = ({ sample, source, target }: RunEstimate): string =>
  `verify: the scans will read about ${source.readUnits + target.readUnits} read units (source ${source.readUnits} for ${source.items} items, ${source.bytes} bytes; target ${target.readUnits} for ${target.items} items, ${target.bytes} bytes${sample < 1 ? `; ${sample} of the segments` : ''}), eventually consistent: 0.5 per 4 KB, plus the consistent re-reads of what differs`;

/** What a run needs besides the options: the read clients, its pipeline and where its lines go. */
interface RunContext {
  readonly config: Config;
  readonly clients: Readonly<Record<string, DynamoDBClient>>;
  readonly keyHasher: KeyHasher;
  readonly pipeline: Awaited<ReturnType<typeof peerPipeline>>;
  readonly writeLine: (line: Difference | Record<string, unknown>) => Promise<void>;
  readonly print: (text: string) => void;
  readonly onProgress?: (event: VerifyProgress) => void;
  readonly onSegments?: (progress: StepFunctionsProgress) => void;
  readonly io: VerifyCommandIo;
  readonly signal: AbortSignal;
}

/** A source item the target's pipeline rejected, as its `--output` line. */
type RejectedLine = (rejection: PipelineRejection) => Record<string, unknown>;

/** The `--output` line of a rejection: a masked peer's source keys are PII, so it names the key by hash only. */
const rejectedLineOf =
  (run: RunContext): RejectedLine =>
  ({ kind, code, sourceKey, keyHash }) =>
    run.pipeline?.masks === true
      ? { kind, code, keyHash }
      : { kind, code, key: encodeItem(sourceKey), keyHash };

/** Writes a scale-out job's rejections, then its differences (as stored), as `--output` lines. */
const writeJobLines = async (
  job: {
    readonly differences: AsyncIterable<Difference>;
    readonly rejected: AsyncIterable<Record<string, unknown>>;
  },
  run: RunContext,
): Promise<void> => {
  const rejectedLine = rejectedLineOf(run);
  for await (const line of job.rejected) {
    const stored = line as { kind: 'pipelineRejected'; code: string; sourceKey: WireItem; keyHash: string };
    await run.writeLine(rejectedLine({ ...stored, sourceKey: decodeItem(stored.sourceKey, 'sourceKey') }));
  }
  for await (const difference of job.differences) await run.writeLine(difference);
};

/** The verify options a job carries (`JobSpec.options`), from the command's. */
const settlingOf = (options: VerifyCommandOptions) => ({
  ...(options.settle === undefined ? {} : { settleSeconds: options.settle }),
  ...(options.settleRounds === undefined ? {} : { settleRounds: options.settleRounds }),
  repair: options.repair === true,
  dryRun: options.dryRun === true,
});

/**
 * Runs the verify on a deployed `DynasyncScaleout` state machine: the job is planned as the local
 * engine plans it (shuffle when the target's pipeline transforms items), its lines read back from S3.
 */
const runOnStepFunctions = async (options: VerifyCommandOptions, run: RunContext): Promise<VerifyReport> => {
  const job = await runStepFunctionsVerifyJob({
    config: run.config,
    from: options.from,
    to: options.to,
    ...stepFunctionsTargetOf(options),
    ...(options.segments === undefined ? {} : { segments: options.segments }),
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
    ...(options.sample === undefined ? {} : { sample: options.sample }),
    ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
    shuffle: run.pipeline !== undefined,
    options: settlingOf(options),
    ...(run.io.sfn === undefined ? {} : { sfn: run.io.sfn }),
    ...(run.io.s3 === undefined ? {} : { s3: run.io.s3 }),
    ...(run.io.pollMs === undefined ? {} : { pollMs: run.io.pollMs }),
    ...(run.onSegments === undefined ? {} : { onProgress: run.onSegments }),
    signal: run.signal,
    onJob: (spec, where) => {
      if (options.json !== true)
        run.print(
          `verify: job ${spec.jobId} (${spec.segments.length} of ${spec.totalSegments} segments) in ${where}; resume with --job-id ${spec.jobId}`,
        );
    },
  });
  try {
    await writeJobLines(job, run);
  } finally {
    job.close();
  }
  return job.report;
};

/**
 * Runs the verify: in-process segment workers (the scale-out task engine) when `--workers`, `--job-id`
 * or `--sample` is given, else the one-process {@link verify}; both run the same phase code.
 */
const runLocal = async (options: VerifyCommandOptions, run: RunContext): Promise<VerifyReport> => {
  const { config, clients, keyHasher, pipeline, writeLine, signal } = run;
  // A per-item pipeline error is counted by verify as `pipelineRejected`.
  const transform = pipelineTransform(pipeline, options.from, options.to);
  const rejectedLine = rejectedLineOf(run);
  const common = {
    config,
    from: options.from,
    to: options.to,
    clients,
    keyHasher,
    signal,
    ...(options.segments === undefined ? {} : { segments: options.segments }),
    ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
    ...(transform === undefined ? {} : { transform }),
    ...(run.onProgress === undefined ? {} : { onProgress: run.onProgress }),
  };
  const settling = settlingOf(options);
  if (options.workers === undefined && options.jobId === undefined && options.sample === undefined)
    return verify({
      ...common,
      ...settling,
      ...(options.fromExport === undefined ? {} : { fromExport: exportObjectsOf(options, run.io) }),
      ...(options.spillDir === undefined ? {} : { spillDir: options.spillDir }),
      onRejected: (rejection) => writeLine(rejectedLine(rejection)),
      onDifference: writeLine,
    });
  const job = await runLocalVerify({
    ...common,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
    ...(options.sample === undefined ? {} : { sample: options.sample }),
    ...(options.jobDir === undefined ? {} : { jobDir: options.jobDir }),
    ...(options.spillDir === undefined ? {} : { workDir: options.spillDir }),
    options: settling,
    onJob: (spec, dir) => {
      if (options.json !== true)
        run.print(
          `verify: job ${spec.jobId} (${spec.segments.length} of ${spec.totalSegments} segments) in ${dir}; resume with --job-id ${spec.jobId}`,
        );
    },
  });
  await writeJobLines(job, run);
  return job.report;
};

/**
 * `dynasync verify`: prints the read units the run will consume, runs the verify (see `runLocal`, or
 * the Step Functions engine), shows a progress bar on a terminal, writes one JSON line per difference
 * to `--output` (first to `<file>.partial`, renamed when the run completes), prints the summary table
 * (or the report as JSON with `--json`), and returns the exit code.
 * @throws DynasyncError on bad options, config or tables, and when reads keep failing (exit code 2).
 */
export const runVerifyCommand = async (
  options: VerifyCommandOptions,
  io: VerifyCommandIo = {},
): Promise<number> => {
  const engine = engineOf(options);
  const print = io.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const paint = painter(
    options.json !== true &&
      (io.colour ?? (io.print === undefined && colourEnabled({ isTTY: process.stdout.isTTY }))),
  );
  const config = withEndpoints('verify', loadConfigFile(options.config), options.endpointUrl);
  // Source items go through the target's pipeline first, so a masked or remapped replica is
  // compared with what the replicator would have written.
  const pipeline = await peerPipeline(config, options.from, options.to, io);
  const keyHasher = await resolveKeyHasher(
    config,
    options.from,
    io.keys === undefined ? {} : { keys: io.keys },
  );
  // Bad options (an unknown region, --dry-run alone…) are refused before any table is described.
  validateVerifyOptions({
    config,
    from: options.from,
    to: options.to,
    ...(options.segments === undefined ? {} : { segments: options.segments }),
    ...(options.settle === undefined ? {} : { settleSeconds: options.settle }),
    ...(options.settleRounds === undefined ? {} : { settleRounds: options.settleRounds }),
    ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
    repair: options.repair === true,
    dryRun: options.dryRun === true,
  });
  const ownClients = io.clients === undefined;
  const clients = io.clients ?? createReadClients(config);
  const stream = io.progressStream ?? process.stderr;
  const bar = stream.isTTY === true && engine === 'local' ? progressBar(stream) : undefined;
  const sfnBar =
    stream.isTTY === true && engine === 'stepfunctions' ? stepFunctionsBar(stream, 'verify') : undefined;
  const partial = options.output === undefined ? undefined : `${options.output}.partial`;
  let output: ReturnType<typeof createWriteStream> | undefined;
  let report: VerifyReport;
  let estimate: RunEstimate;
  try {
    estimate = await withInterrupts(io.signal, (signal) => estimateRun(config, options, clients, signal));
    if (options.json !== true)
      print(
        options.fromExport === undefined
          ? formatEstimate(estimate)
          : 'verify: reading the two exports instead of scanning (no read units); only the keys that differ are re-read consistently',
      );
    // Created afresh with mode 0600 (keys of the differences), whatever a crashed run left behind.
    if (partial !== undefined) await rm(partial, { force: true });
    output =
      partial === undefined
        ? undefined
        : createWriteStream(partial, { encoding: 'utf8', mode: PRIVATE_FILE_MODE });
    const lines = output;
    const outputError =
      lines === undefined ? undefined : new Promise<never>((_, reject) => lines.once('error', reject));
    outputError?.catch(() => undefined);
    const writeLine = async (line: Difference | Record<string, unknown>): Promise<void> => {
      if (lines === undefined) return;
      if (!lines.write(`${JSON.stringify(line)}\n`))
        await Promise.race([
          new Promise<void>((resolve) => lines.once('drain', () => resolve())),
          outputError,
        ]);
    };
    report = await withInterrupts(io.signal, (signal) => {
      const run: RunContext = {
        config,
        clients,
        keyHasher,
        pipeline,
        writeLine,
        print,
        io,
        signal,
        ...(bar === undefined ? {} : { onProgress: bar.update }),
        ...(sfnBar === undefined ? {} : { onSegments: sfnBar.update }),
      };
      return engine === 'local' ? runLocal(options, run) : runOnStepFunctions(options, run);
    });
  } finally {
    bar?.stop();
    sfnBar?.stop();
    const lines = output;
    if (lines !== undefined) await new Promise<void>((resolve) => lines.end(resolve));
    if (ownClients) for (const client of Object.values(clients)) client.destroy();
  }
  if (partial !== undefined && options.output !== undefined) await rename(partial, options.output);
  if (options.json === true) print(JSON.stringify({ ...report, estimatedReadUnits: estimate }, null, 2));
  else for (const line of formatReport(report, paint)) print(line);
  return exitCodeOf(report);
};

/**
 * Registers `dynasync verify` on the CLI program. The action sets `process.exitCode` (0 in sync,
 * 1 drift); errors propagate to the CLI's handler, which prints the code and exits with 2.
 */
export const addVerifyCommand = (program: Command): Command =>
  withEngineOptions(
    withConfigAndAccountOptions(
      program
        .command('verify')
        .description(
          'audit drift between two regions with bounded memory: missing, extra and different keys; --repair fixes it with conditional writes',
        ),
    ),
    ' or exports on S3',
  )
    .option('--from <region>', "the region whose table is the truth (default: a one-way topology's source)")
    .option('--to <region>', "the region whose table is checked (default: a one-way topology's only replica)")
    .option('--segments <n>', 'parallel scan segments per table', positiveInt, 4)
    .option('--settle <seconds>', 'grace period before differences are re-read consistently', nonNegative, 5)
    .option('--settle-rounds <n>', 're-reads allowed for a key that keeps changing', positiveInt, 3)
    .option('--max-rps <units>', 'read capacity units per second per table (scans and re-reads)', positive)
    .option('--output <file>', 'write one JSON line per difference (keys included, never values)')
    .option('--json', 'print the summary as JSON', false)
    .option('--repair', "write the source's state for each difference (never over newer data)", false)
    .option('--dry-run', 'with --repair: only report what would be written', false)
    .option('--spill-dir <dir>', 'folder for the temporary partition files (default: the OS temp folder)')
    .option('--sample <fraction>', 'verify a random fraction of the segments (0 < f <= 1)', positive)
    .option(
      '--from-export <location>',
      "read the source table's DynamoDB export instead of scanning it: s3://bucket/<prefix>/AWSDynamoDB/<ExportId> or a local copy",
    )
    .option(
      '--to-export <location>',
      "the target table's export, taken at the same ExportTime as --from-export's",
    )
    .addHelpText(
      'after',
      exitCodesHelp({
        0: 'in sync (with --repair: every difference repaired)',
        1: 'drift found (with --repair: some left, stale, failed or skipped; with --dry-run: any)',
        2: 'usage or config error, a table unreachable, reads that kept failing, interrupted',
      }),
    )
    .action(async (options: Partial<Pick<VerifyCommandOptions, 'from' | 'to'>> & VerifyCommandArgs) => {
      if (options.dryRun === true && options.repair !== true)
        throw verifyError(
          VerifyErrorCodes.invalidOption,
          'verify: --dry-run only applies to --repair; add --repair to see what a repair would write',
          { option: 'dry-run' },
        );
      applyProfile(options.profile);
      const pair = regionPair('verify', loadConfigFile(options.config), options);
      process.exitCode = await runVerifyCommand({ ...options, ...pair });
    });

/** What commander hands the action: the options, with `--from`/`--to` still optional. */
type VerifyCommandArgs = Omit<VerifyCommandOptions, 'from' | 'to'> & { readonly profile?: string };
