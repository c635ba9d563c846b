import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Command } from 'commander';
import { decodeItem, encodeItem } from '../../core/codec.js';
import { loadConfigFile } from '../../core/config/loadConfig.js';
import { PRIVATE_FILE_MODE } from '../../core/privateFile.js';
import type { WireItem } from '../../core/types.js';
import { resolveKeyHasher } from '../../keys/keyHasher.js';
import type { KeyProvider, ModuleLoader } from '../../pipeline/types.js';
import {
  applyProfile,
  type EndpointOverride,
  exitCodesHelp,
  nonNegative,
  positive,
  positiveInt,
  regionPair,
  withConfigOption,
  withEndpointOption,
  withEndpoints,
  withProfileOption,
} from '../_shared/cliOptions.js';
import { colourEnabled, painter } from '../_shared/colour.js';
import { createReadClients } from '../_shared/createReadClients.js';
import { describeTable } from '../_shared/describeTable.js';
import { peerPipeline } from '../_shared/peerPipeline.js';
import { terminalProgressBar } from '../_shared/progressBar.js';
import { DEFAULT_RETRY } from '../_shared/withRetries.js';
import { estimateScanReadUnits } from '../scaleout/estimateReadUnits.js';
import { runLocalVerify } from '../scaleout/runLocalVerify.js';
import { VerifyErrorCodes, verifyError } from './errors.js';
import { formatReport } from './formatReport.js';
import type {
  Difference,
  PipelineRejection,
  SourceTransform,
  VerifyProgress,
  VerifyReport,
} from './types.js';
import { validateVerifyOptions, verify } from './verify.js';

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

/** The parsed options of `dynasync verify`. */
export interface VerifyCommandOptions {
  readonly config: string;
  /** `--endpoint-url <region>=<url>`: endpoint overrides for this run. @default none */
  readonly endpointUrl?: readonly EndpointOverride[];
  readonly from: string;
  readonly to: string;
  /** @default 4 */
  readonly segments?: number;
  /** @default 5 */
  readonly settle?: number;
  /** @default 3 */
  readonly settleRounds?: number;
  readonly maxRps?: number;
  readonly output?: string;
  /** @default false */
  readonly json?: boolean;
  /** @default false */
  readonly repair?: boolean;
  /** @default false */
  readonly dryRun?: boolean;
  readonly spillDir?: string;
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

/**
 * `dynasync verify`: runs {@link verify}, shows a progress bar on a terminal, writes one JSON line per
 * difference to `--output` (first to `<file>.partial`, renamed when the run completes), prints the
 * summary table (or the report as JSON with `--json`), and returns the exit code.
 * @throws DynasyncError on bad options, config or tables, and when reads keep failing (exit code 2).
 */
export const runVerifyCommand = async (
  options: VerifyCommandOptions,
  io: VerifyCommandIo = {},
): Promise<number> => {
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
  const stream = io.progressStream ?? process.stderr;
  const bar = stream.isTTY === true ? progressBar(stream) : undefined;
  const partial = options.output === undefined ? undefined : `${options.output}.partial`;
  // Created afresh with mode 0600 (keys of the differences), whatever a crashed run left behind.
  if (partial !== undefined) await rm(partial, { force: true });
  const output =
    partial === undefined
      ? undefined
      : createWriteStream(partial, { encoding: 'utf8', mode: PRIVATE_FILE_MODE });
  const outputError =
    output === undefined ? undefined : new Promise<never>((_, reject) => output.once('error', reject));
  outputError?.catch(() => undefined);
  const writeLine = async (line: Difference | Record<string, unknown>): Promise<void> => {
    if (output === undefined) return;
    if (!output.write(`${JSON.stringify(line)}\n`))
      await Promise.race([
        new Promise<void>((resolve) => output.once('drain', () => resolve())),
        outputError,
      ]);
  };
  const engine = options.engine ?? 'local';
  if (engine !== 'local' && engine !== 'stepfunctions')
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `verify: --engine must be local or stepfunctions, got "${engine}"`,
      { option: 'engine' },
    );
  if (options.sample !== undefined && !(options.sample > 0 && options.sample <= 1))
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `verify: --sample must be a fraction of segments above 0 and at most 1, got ${options.sample}`,
      { option: 'sample' },
    );
  if (engine === 'stepfunctions') {
    // Helper module of the Step Functions engine; a build without it refuses the flag (exit 2).
    const modulePath = '../scaleout/stepFunctionsEngine.js';
    const engineModule = (await import(modulePath).catch(() => undefined)) as
      | { runStepFunctionsVerify?: (options: VerifyCommandOptions, io: VerifyCommandIo) => Promise<number> }
      | undefined;
    if (engineModule?.runStepFunctionsVerify === undefined)
      throw verifyError(
        VerifyErrorCodes.invalidOption,
        'verify: --engine stepfunctions is not available in this build; use --engine local',
        { option: 'engine' },
      );
    return engineModule.runStepFunctionsVerify(options, io);
  }
  const scaleout =
    options.workers !== undefined || options.jobId !== undefined || options.sample !== undefined;
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
  // Before a run: the read units its scans will consume, from DescribeTable (as the bulk executor does).
  const retry = { ...DEFAULT_RETRY, maxAttempts: 3 };
  const [sourceInfo, targetInfo] = await Promise.all([
    describeTable('verify', clients[options.from]!, options.from, config.regions[options.from]!.table, retry),
    describeTable('verify', clients[options.to]!, options.to, config.regions[options.to]!.table, retry),
  ]);
  const fraction = options.sample ?? 1;
  const estimate = {
    sample: fraction,
    source: {
      items: sourceInfo.itemCount,
      bytes: sourceInfo.sizeBytes,
      readUnits: estimateScanReadUnits(sourceInfo, fraction),
    },
    target: {
      items: targetInfo.itemCount,
      bytes: targetInfo.sizeBytes,
      readUnits: estimateScanReadUnits(targetInfo, fraction),
    },
  };
  if (options.json !== true)
    print(
      `verify: the scans will read about ${estimate.source.readUnits + estimate.target.readUnits} read units (source ${estimate.source.readUnits} for ${sourceInfo.itemCount} items, ${sourceInfo.sizeBytes} bytes; target ${estimate.target.readUnits} for ${targetInfo.itemCount} items, ${targetInfo.sizeBytes} bytes${fraction < 1 ? `; ${fraction} of the segments` : ''}), eventually consistent: 0.5 per 4 KB, plus the consistent re-reads of what differs`,
    );
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const signal = io.signal === undefined ? abort.signal : AbortSignal.any([abort.signal, io.signal]);
  let report: VerifyReport;
  try {
    const transform: SourceTransform | undefined =
      pipeline === undefined
        ? undefined
        : // A per-item pipeline error is counted by verify as `pipelineRejected`.
          (item) => pipeline.apply(item, { sourceRegion: options.from, targetRegion: options.to });
    // A masked peer's source keys are PII: the line names the key by its hash only.
    const rejectedLine = ({ kind, code, sourceKey, keyHash }: PipelineRejection) =>
      pipeline?.masks === true
        ? { kind, code, keyHash }
        : { kind, code, key: encodeItem(sourceKey), keyHash };
    if (scaleout) {
      const run = await runLocalVerify({
        config,
        from: options.from,
        to: options.to,
        clients,
        ...(options.segments === undefined ? {} : { segments: options.segments }),
        ...(options.workers === undefined ? {} : { workers: options.workers }),
        ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
        ...(options.sample === undefined ? {} : { sample: options.sample }),
        ...(options.jobDir === undefined ? {} : { jobDir: options.jobDir }),
        ...(options.spillDir === undefined ? {} : { workDir: options.spillDir }),
        ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
        ...(transform === undefined ? {} : { transform }),
        keyHasher,
        options: {
          ...(options.settle === undefined ? {} : { settleSeconds: options.settle }),
          ...(options.settleRounds === undefined ? {} : { settleRounds: options.settleRounds }),
          repair: options.repair === true,
          dryRun: options.dryRun === true,
        },
        signal,
        onJob: (spec, dir) => {
          if (options.json !== true)
            print(
              `verify: job ${spec.jobId} (${spec.segments.length} of ${spec.totalSegments} segments) in ${dir}; resume with --job-id ${spec.jobId}`,
            );
        },
        ...(bar === undefined ? {} : { onProgress: bar.update }),
      });
      for await (const line of run.rejected) {
        const stored = line as {
          kind: 'pipelineRejected';
          code: string;
          sourceKey: WireItem;
          keyHash: string;
        };
        await writeLine(rejectedLine({ ...stored, sourceKey: decodeItem(stored.sourceKey, 'sourceKey') }));
      }
      for await (const difference of run.differences) await writeLine(difference);
      report = run.report;
    } else
      report = await verify({
        config,
        from: options.from,
        to: options.to,
        ...(options.segments === undefined ? {} : { segments: options.segments }),
        ...(options.settle === undefined ? {} : { settleSeconds: options.settle }),
        ...(options.settleRounds === undefined ? {} : { settleRounds: options.settleRounds }),
        ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
        ...(options.spillDir === undefined ? {} : { spillDir: options.spillDir }),
        clients,
        keyHasher,
        ...(transform === undefined ? {} : { transform }),
        onRejected: (rejection) => writeLine(rejectedLine(rejection)),
        repair: options.repair === true,
        dryRun: options.dryRun === true,
        signal,
        onDifference: writeLine,
        ...(bar === undefined ? {} : { onProgress: bar.update }),
      });
  } finally {
    bar?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (output !== undefined) await new Promise<void>((resolve) => output.end(resolve));
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
  withEndpointOption(
    withProfileOption(
      withConfigOption(
        program
          .command('verify')
          .description(
            'audit drift between two regions with bounded memory: missing, extra and different keys; --repair fixes it with conditional writes',
          ),
      ),
    ),
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
    .option(
      '--engine <engine>',
      'local (workers in this process) or stepfunctions (a deployed state machine)',
      'local',
    )
    .option('--workers <n>', 'local segment workers (runs the scale-out task engine)', positiveInt)
    .option('--job-id <id>', 'resume this job (finished segments are not scanned again)')
    .option('--sample <fraction>', 'verify a random fraction of the segments (0 < f <= 1)', positive)
    .option('--job-dir <dir>', 'folder of the local job store (default: <temp>/dynasync-jobs)')
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
