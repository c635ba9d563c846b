import { Logger } from '@aws-lambda-powertools/logger';
import { peersOf } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { type ClientOptions, createDynamoClients, createStreamsClient } from '../clients.js';
import { createReplicator } from '../createReplicator.js';
import { loadConfiguredMerge } from '../merge/loadMergeModule.js';
import type { ReplicatorLogger } from '../processBatch.js';
import type { BatchResult } from '../types.js';
import { RunningTotals } from './_internals/BatchStats.js';
import { formatLiveLine, formatSummary, isLocalEndpoint } from './_internals/formatTotals.js';
import { LiveOutput } from './_internals/LiveOutput.js';
import { startUp } from './_internals/startUp.js';
import { assertRegionCanRun } from './assertRegionCanRun.js';
import { FileCheckpointStore } from './FileCheckpointStore.js';
import { type RunUntilSignalOptions, runUntilSignal } from './runUntilSignal.js';
import { statusPath, toPollerStatus, writeStatusFile } from './StatusFile.js';
import { StreamPoller } from './StreamPoller.js';

/** How `dynasync run` reports: a live line and a summary on a terminal, or JSON log lines. */
export const LogFormats = { pretty: 'pretty', json: 'json' } as const;
export type LogFormat = (typeof LogFormats)[keyof typeof LogFormats];

/**
 * The log format to use: the one asked for, else `DYNASYNC_LOG_FORMAT`, else `pretty` on a
 * terminal and `json` otherwise (pipes, files, log collectors).
 */
export const resolveLogFormat = (input: {
  readonly asked?: string | undefined;
  readonly env?: string | undefined;
  readonly isTTY: boolean;
}): LogFormat => {
  const chosen = input.asked ?? (input.env === '' ? undefined : input.env);
  if (chosen === LogFormats.pretty || chosen === LogFormats.json) return chosen;
  if (chosen !== undefined) {
    throw new DynasyncError(
      ErrorCodes.config.invalidField,
      `log format must be "pretty" or "json", not "${chosen}"`,
      { payload: { path: 'logFormat' } },
    );
  }
  return input.isTTY ? LogFormats.pretty : LogFormats.json;
};

/** Options of {@link runPoller}. */
export interface RunPollerOptions {
  readonly config: Config;
  /** The region whose stream to read. */
  readonly region: string;
  /** @default a Powertools logger, service "dynasync", with the region as a key */
  readonly logger?: ReplicatorLogger;
  /** Interval of the "replication stats" log line; 0 turns it off. @default 10000 */
  readonly statsIntervalMs?: number;
  readonly onBatch?: (result: BatchResult, shardId: string) => void;
  /** Signal handling. @default SIGINT and SIGTERM of this process */
  readonly signals?: RunUntilSignalOptions;
  /**
   * `pretty`: a live line with running totals and a summary when it stops; `json`: JSON log lines.
   * @default {@link resolveLogFormat}: `DYNASYNC_LOG_FORMAT`, else pretty on a TTY, else json
   */
  readonly logFormat?: LogFormat;
  /** Where the live line and summary go. @default process.stdout */
  readonly stdout?: { write(text: string): unknown; readonly isTTY?: boolean };
  /** The clock of the status file and the live line, epoch ms. @default Date.now */
  readonly now?: () => number;
  /**
   * The status file `dynasync status` reads, rewritten at each stats interval and on stop; false for none.
   * @default `<replicator.checkpointDir>/status-<region>.json`
   */
  readonly statusFile?: string | false;
  /** Settings of the clients (profile, request and connection timeouts). @default {@link ClientOptions}' defaults */
  readonly clientOptions?: Omit<ClientOptions, 'maxSockets'>;
  /** How long the start-up table check retries transient failures. @default 60000 */
  readonly startupRetryBudgetMs?: number;
}

/**
 * The `dynasync run` mode for one region: refuses a region that ships nothing, loads and checks
 * `conflict.module` (when the config names one), checks every
 * region's table once (exists, `NEW_AND_OLD_IMAGES` stream, same key schema), then reads the
 * region's stream with a {@link StreamPoller} and a file checkpoint until SIGINT or SIGTERM.
 * A signal during the table check aborts the calls in flight at once.
 * @throws DynasyncError `config.invalidField` (one-way replica, unknown region), `conflict.invalidMergeModule`,
 *   `config.tableMismatch`, `config.tableUnreachable` (also: no answer within the request timeout),
 *   `poller.interrupted` (a signal before the poller started), `poller.checkpointCorrupt`,
 *   `poller.streamGone`.
 * @example
 * await runPoller({ config: loadConfigFile('dynasync.json'), region: 'eu-west-1' });
 */
export const runPoller = async (options: RunPollerOptions): Promise<void> => {
  const { config, region } = options;
  assertRegionCanRun(config, region);
  // A missing or broken conflict.module stops the start here, not at the first conflict.
  const merge = await loadConfiguredMerge(config);
  const now = options.now ?? Date.now;
  const stdout = options.stdout ?? process.stdout;
  const format =
    options.logFormat ??
    (options.logger === undefined
      ? resolveLogFormat({ env: process.env.DYNASYNC_LOG_FORMAT, isTTY: stdout.isTTY === true })
      : LogFormats.json);
  const startedAtMs = now();
  const coarseStreamTimes = isLocalEndpoint(config.regions[region]?.endpoint);
  const totals = new RunningTotals(peersOf(config, region));
  const view = { region, coarseStreamTimes, startedAtMs };
  const live =
    format === LogFormats.pretty
      ? new LiveOutput(
          (text) => stdout.write(text),
          () => formatLiveLine(totals.snapshot(), { ...view, nowMs: now() }),
        )
      : undefined;
  const logger =
    live?.logger() ?? options.logger ?? new Logger({ serviceName: 'dynasync', persistentKeys: { region } });
  const statsIntervalMs = options.statsIntervalMs ?? 10_000;
  const status = statusWriter(options, logger, (state) =>
    toPollerStatus({
      region,
      state,
      startedAtMs,
      nowMs: now(),
      statsIntervalMs: statsIntervalMs > 0 ? statsIntervalMs : 10_000,
      coarseStreamTimes,
      totals: totals.snapshot(),
    }),
  );
  const onBatch = (result: BatchResult, shardId: string): void => {
    totals.add(result, now());
    live?.refresh();
    options.onBatch?.(result, shardId);
  };

  const clients = createDynamoClients(config, {
    ...options.clientOptions,
    maxSockets: config.replicator.concurrency * 2,
  });
  const streamsClient = createStreamsClient(config, region, options.clientOptions);
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  try {
    // Until runUntilSignal takes the signals over (synchronously after this), a signal aborts.
    const pipelines = await startUp(config, clients, {
      region,
      signals: options.signals,
      retryBudgetMs: options.startupRetryBudgetMs,
    });
    const poller = new StreamPoller({
      config,
      region,
      replicator: createReplicator({
        config,
        region,
        clients,
        logger,
        pipelines,
        ...(merge === undefined ? {} : { merge }),
      }),
      streamsClient,
      dynamoClient: clients[region]!,
      checkpoints: FileCheckpointStore.forRegion(config, region),
      logger,
      ...(options.statsIntervalMs === undefined ? {} : { statsIntervalMs: options.statsIntervalMs }),
      onBatch,
    });
    started = true;
    status.write('running');
    live?.refresh();
    timer = setInterval(
      () => {
        status.write('running');
        live?.refresh();
      },
      statsIntervalMs > 0 ? statsIntervalMs : 10_000,
    );
    timer.unref();
    await runUntilSignal(poller, { logger, ...options.signals });
  } finally {
    clearInterval(timer);
    if (started) await reportStop(status, totals, live, logger, view, now);
    streamsClient.destroy();
    for (const client of Object.values(clients)) client.destroy();
  }
};

/**
 * What `dynasync run` does when the poller stops: the status file's last write (`stopped`), then
 * the summary: the live output's last line, or a JSON log line.
 */
const reportStop = async (
  status: StatusWriter,
  totals: RunningTotals,
  live: LiveOutput | undefined,
  logger: ReplicatorLogger,
  view: {
    readonly region: string;
    readonly coarseStreamTimes: boolean;
    readonly startedAtMs: number;
  },
  now: () => number,
): Promise<void> => {
  status.write('stopped');
  await status.settled();
  const summary = totals.snapshot();
  if (live === undefined) {
    logger.info('replication summary', {
      region: view.region,
      uptimeMs: now() - view.startedAtMs,
      ...summary,
      streamLagCoarse: view.coarseStreamTimes,
    });
  } else {
    live.end(formatSummary(summary, { ...view, nowMs: now() }));
  }
};

/** The status file's writer of a run. */
interface StatusWriter {
  write(state: 'running' | 'stopped'): void;
  settled(): Promise<void>;
}

/** Serialised writes of the status file; a failed write is logged, never fatal. */
const statusWriter = (
  options: RunPollerOptions,
  logger: ReplicatorLogger,
  build: (state: 'running' | 'stopped') => Parameters<typeof writeStatusFile>[1],
): StatusWriter => {
  const path = options.statusFile ?? statusPath(options.config, options.region);
  let chain: Promise<void> = Promise.resolve();
  return {
    write(state: 'running' | 'stopped'): void {
      if (path === false) return;
      const document = build(state);
      chain = chain
        .then(() => writeStatusFile(path, document))
        .catch((error: unknown) => {
          logger.warn('status file not written', {
            path,
            error: error instanceof Error ? error.message : String(error),
          });
        });
    },
    settled: (): Promise<void> => chain,
  };
};
