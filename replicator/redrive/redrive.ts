import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { mergeNamesFor } from '../../conflict/merge/types.js';
import { metadataNames, peersOf } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { isDynasyncError } from '../../core/errors.js';
import { createKeyProvider } from '../../keys/createKeyProvider.js';
import type { KeyProvider, Pipeline } from '../../pipeline/types.js';
import { createDynamoClients } from '../clients.js';
import { createPeerWrites } from '../createPeerWrites.js';
import { createPipelines } from '../createPipelines.js';
import type { ReplicatorLogger } from '../processBatch.js';
import { invalidOption } from './_internals/invalidOption.js';
import { openSource } from './_internals/openSource.js';
import { emptyReport, failAgain, type RedriveRun } from './_internals/RedriveRun.js';
import { notReplayableLine, summaryLine } from './_internals/redriveLines.js';
import { replayLetter } from './_internals/replayLetter.js';
import type { RedriveReport } from './types.js';

/** Options of {@link redrive}. */
export interface RedriveOptions {
  readonly config: Config;
  /** The source region whose dead letters to replay. */
  readonly region: string;
  /** Where the letters are. @default the config's `deadLetter.type` */
  readonly source?: 'file' | 'sqs';
  /** Only say what would happen: nothing is written or removed. @default false */
  readonly dryRun?: boolean;
  /** DynamoDB clients by region. @default one per region of the config */
  readonly clients?: Readonly<Record<string, DynamoDBClient>>;
  /** @default a client for the region's AWS region */
  readonly sqsClient?: SQSClient;
  readonly logger?: ReplicatorLogger;
  /** One line per letter and a summary. @default nothing printed */
  readonly print?: (line: string) => void;
  /** Time budget of one letter's writes. @default 30000 */
  readonly letterTimeoutMs?: number;
  /** The masking keys (pipelines, sealed records). @default the provider the config's `keys` asks for */
  readonly keys?: KeyProvider;
  /** The peers' resolved pipelines. @default resolved from the config with `keys` */
  readonly pipelines?: Readonly<Record<string, Pipeline>>;
}

/**
 * Replays the dead letters of a region through the *current* config: the same decoding,
 * classification and conditional writes as live replication, so a letter older than what a target
 * holds is skipped (`stale`) and never written over newer data. A letter leaves the store only
 * after every target took it (applied or stale); one that fails again stays, with its attempt
 * count, times and error updated where the store allows.
 *
 * @example
 * const report = await redrive({ config: loadConfigFile('dynasync.json'), region: 'eu-west-1', print: console.log });
 * // report: { replayed: 3, stale: 1, failedAgain: 0, ... }
 */
export const redrive = async (options: RedriveOptions): Promise<RedriveReport> => {
  const { config, region } = options;
  if (config.regions[region] === undefined)
    throw invalidOption(
      'region',
      `--region "${region}" is not a key of "regions" (${Object.keys(config.regions).join(', ')})`,
    );
  const logger =
    options.logger ?? new Logger({ serviceName: 'dynasync', persistentKeys: { region, command: 'redrive' } });
  const run = await openRun(options, logger);
  const { report, source, clients } = run;
  try {
    await replayAll(run);
    report.duplicates = source.duplicates;
    for (const item of source.notReplayable) {
      report.notReplayed.push(item);
      if (item.kind === 'unreadable') report.unreadable += 1;
      else report.onFailureBatches += 1;
      run.print(notReplayableLine(item, region, config.regions));
    }
  } finally {
    await source.close();
    if (options.clients === undefined) for (const client of Object.values(clients)) client.destroy();
  }
  run.print(summaryLine(report, run.dryRun));
  logger.info('redrive finished', {
    replayed: report.replayed,
    stale: report.stale,
    failedAgain: report.failedAgain,
    unreadable: report.unreadable,
    onFailureBatches: report.onFailureBatches,
    dryRun: run.dryRun,
  });
  return report;
};

/** Sets a redrive up: clients, keys, pipelines, the writer of the current peers, and the letters' source. */
const openRun = async (options: RedriveOptions, logger: ReplicatorLogger): Promise<RedriveRun> => {
  const { config, region } = options;
  const print = options.print ?? (() => undefined);
  const clients = options.clients ?? createDynamoClients(config, { maxAttempts: 5 });
  const names = metadataNames(config);
  const currentPeers = new Set(peersOf(config, region));
  // Letters replay through the peers' pipelines too: a masked peer never gets a clear record.
  const needsKeys = Object.keys(config.pipelines).length > 0;
  const keys = options.keys ?? (needsKeys ? createKeyProvider(config, region) : undefined);
  const pipelines =
    options.pipelines ?? (await createPipelines(config, region, keys === undefined ? {} : { keys }));
  // Under merge, a redriven record goes through the same vector-clock decision and merge as live replication.
  const { conflict } = config;
  const writer = createPeerWrites(config, region, {
    clients,
    logger,
    peers: [...currentPeers],
    caller: 'redrive',
  });
  const report = emptyReport();
  const source = openSource(options);
  return {
    config,
    region,
    dryRun: options.dryRun === true,
    letterTimeoutMs: options.letterTimeoutMs ?? 30_000,
    print,
    clients,
    currentPeers,
    keys,
    planContext: {
      region,
      topology: config.topology.type,
      names,
      tombstoneRetentionSeconds: config.tombstones.retentionDays * 86_400,
      // A letter of a version from the future fails again until its item is written anew.
      maxClockSkewMs: config.replicator.maxClockSkewMs,
      pipelines,
      ...(conflict.strategy === 'merge'
        ? { clockAttribute: mergeNamesFor(config.metadata.prefix).clock }
        : {}),
    },
    writer,
    source,
    report,
  };
};

/** Replays every letter the source yields; one bad letter (a tampered sealed record, …) fails alone, named by its id. */
const replayAll = async (run: RedriveRun): Promise<void> => {
  for await (const batch of run.source.receive()) {
    for (const letter of batch) {
      try {
        await replayLetter(run, letter);
      } catch (error) {
        if (!isDynasyncError(error)) throw error;
        await failAgain(run, letter, error.code, `letter ${letter.id}: ${error.message}`, [
          ...letter.targetRegions,
        ]);
      }
    }
  }
};

/**
 * The exit code a redrive calls for: 1 when a letter failed again, or when the store held what a
 * redrive cannot read (unreadable lines, Lambda on-failure batches: possible loss); else 0.
 */
export const redriveExitCodeOf = (report: RedriveReport): number =>
  report.failedAgain > 0 || report.unreadable > 0 || report.onFailureBatches > 0 ? 1 : 0;
