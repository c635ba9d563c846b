import { Logger } from '@aws-lambda-powertools/logger';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mergeNamesFor } from '../../conflict/merge/types.js';
import { compareVersions, tryDecodeVersion } from '../../conflict/version.js';
import { localEndpointFlags } from '../../core/config/localEndpoint.js';
import { metadataNames, peersOf } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes, isDynasyncError } from '../../core/errors.js';
import { createKeyProvider } from '../../keys/createKeyProvider.js';
import { decryptText } from '../../pipeline/maskingCrypto.js';
import type { KeyProvider, Pipeline } from '../../pipeline/types.js';
import { accountCredentials, createDynamoClients } from '../clients.js';
import { createPeerWrites } from '../createPeerWrites.js';
import { createPipelines } from '../createPipelines.js';
import { deadLetterPath, deadLetterQueueUrl } from '../deadLetter/createDeadLetterSink.js';
import { protectMessage } from '../deadLetter/protectLetter.js';
import type { DeadLetter } from '../deadLetter/types.js';
import { oversizeError } from '../PeerWriter.js';
import { type PlanContext, planBatch } from '../planBatch.js';
import type { ReplicatorLogger } from '../processBatch.js';
import { type PlannedWrite, WriteOutcomes } from '../types.js';
import { FileDeadLetterSource } from './FileDeadLetterSource.js';
import { SqsDeadLetterSource } from './SqsDeadLetterSource.js';
import {
  type DeadLetterSource,
  type RedriveOutcome,
  RedriveOutcomes,
  type RedriveReport,
  type StoredDeadLetter,
} from './types.js';

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

const invalidOption = (option: string, message: string): DynasyncError =>
  new DynasyncError(ErrorCodes.redrive.invalidOption, `redrive: ${message}`, { payload: { option } });

const openSource = (options: RedriveOptions): DeadLetterSource => {
  const { config, region } = options;
  const kind: string = options.source ?? config.deadLetter.type;
  if (kind !== 'file' && kind !== 'sqs')
    throw invalidOption('source', `--source must be "file" or "sqs", not "${kind}"`);
  if (kind === 'file') {
    if (config.deadLetter.type !== 'file')
      throw invalidOption('source', '--source file needs deadLetter.type "file" in the config');
    return new FileDeadLetterSource(deadLetterPath(config, region));
  }
  const regionConfig = config.regions[region];
  const credentials = regionConfig === undefined ? undefined : accountCredentials(region, regionConfig);
  return new SqsDeadLetterSource({
    client:
      options.sqsClient ??
      new SQSClient({
        region: regionConfig?.awsRegion ?? region,
        ...(credentials === undefined ? {} : { credentials }),
      }),
    queueUrl: deadLetterQueueUrl(config, region),
  });
};

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
  const print = options.print ?? (() => undefined);
  const logger =
    options.logger ?? new Logger({ serviceName: 'dynasync', persistentKeys: { region, command: 'redrive' } });
  const clients = options.clients ?? createDynamoClients(config, { maxAttempts: 5 });
  const ownsClients = options.clients === undefined;
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
  const report: RedriveReport = {
    replayed: 0,
    stale: 0,
    failedAgain: 0,
    skipped: 0,
    duplicates: 0,
    unreadable: 0,
    onFailureBatches: 0,
    notReplayed: [],
    entries: [],
  };
  const note = (
    letter: StoredDeadLetter,
    outcome: RedriveOutcome,
    targetRegions: string[],
    code?: string,
  ) => {
    const sequenceNumber = letter.record.dynamodb?.SequenceNumber;
    report.entries.push({
      id: letter.id,
      sequenceNumber,
      outcome,
      targetRegions,
      ...(code === undefined ? {} : { code }),
    });
    print(
      `${outcome.padEnd(11)} sequence ${sequenceNumber ?? '?'} → ${targetRegions.join(', ') || '(no peer)'}${code === undefined ? '' : ` (${code}; letter ${letter.id})`}`,
    );
  };
  const source = openSource(options);

  const failAgain = async (
    letter: StoredDeadLetter,
    code: DeadLetter['error']['code'],
    message: string,
    targets: string[],
  ) => {
    const now = new Date().toISOString();
    if (options.dryRun === true) {
      report.skipped += 1;
      note(letter, RedriveOutcomes.wouldFail, targets, code);
      return;
    }
    report.failedAgain += 1;
    note(letter, RedriveOutcomes.failedAgain, targets, code);
    await source.keep(letter, {
      ...letter,
      targetRegions: targets,
      // A letter of a masking peer keeps no values or map keys in its message either.
      error: { code, message: letter.recordRedacted === true ? protectMessage(message) : message },
      attempts: letter.attempts + 1,
      lastFailureAt: now,
    });
  };

  const replay = async (letter: StoredDeadLetter): Promise<void> => {
    if (letter.recordOmitted !== undefined) {
      await failAgain(
        letter,
        'replicator.deadLetterFailed',
        'the record was too large for the queue message; replay it from the overflow file (deadLetter.overflowDir)',
        [...letter.targetRegions],
      );
      return;
    }
    let record = letter.record;
    if (letter.recordRedacted === true) {
      if (letter.sealedRecord === undefined || keys === undefined) {
        await failAgain(
          letter,
          'replicator.deadLetterFailed',
          'the letter keeps no record (a masking pipeline with deadLetterRecord "omit"); write the item again at the source to replicate it',
          [...letter.targetRegions],
        );
        return;
      }
      record = await openSealed(letter.id, letter.sealedRecord, keys);
    }
    const targets = letter.targetRegions.filter((target) => currentPeers.has(target));
    const context: PlanContext = {
      region,
      peers: targets,
      topology: config.topology.type,
      names,
      tombstoneRetentionSeconds: config.tombstones.retentionDays * 86_400,
      // A letter of a version from the future fails again until its item is written anew.
      maxClockSkewMs: config.replicator.maxClockSkewMs,
      pipelines,
      ...(conflict.strategy === 'merge'
        ? { clockAttribute: mergeNamesFor(config.metadata.prefix).clock }
        : {}),
    };
    const plan = planBatch([record], context);
    const rejection = plan.rejected[0];
    if (rejection !== undefined) {
      await failAgain(letter, rejection.error.code, rejection.error.message, targets);
      return;
    }
    if (plan.writes.length === 0) {
      // Nothing left to write (the target left the topology, or the record needs no write): done.
      report.stale += 1;
      note(letter, RedriveOutcomes.stale, targets);
      if (options.dryRun !== true) await source.remove(letter);
      return;
    }
    if (options.dryRun === true) {
      const tooLarge = plan.writes.map(oversizeError).find((error) => error !== undefined);
      if (tooLarge !== undefined) {
        await failAgain(letter, tooLarge.code, tooLarge.message, targets);
        return;
      }
      const newer = await Promise.all(plan.writes.map((write) => targetIsNewer(clients, config, write)));
      report.skipped += 1;
      note(letter, newer.every(Boolean) ? RedriveOutcomes.wouldSkip : RedriveOutcomes.wouldApply, targets);
      return;
    }
    const results = await writer.sendAll(plan.writes, Date.now() + (options.letterTimeoutMs ?? 30_000));
    const failed = results.filter(
      (result) => result.outcome === WriteOutcomes.permanent || result.outcome === WriteOutcomes.unfinished,
    );
    if (failed.length > 0) {
      const error = failed[0]!.error!;
      await failAgain(
        letter,
        error.code,
        error.message,
        failed.map((result) => result.write.peer),
      );
      return;
    }
    const applied = results.some((result) => result.outcome === WriteOutcomes.applied);
    if (applied) report.replayed += 1;
    else report.stale += 1;
    note(letter, applied ? RedriveOutcomes.replayed : RedriveOutcomes.stale, targets);
    await source.remove(letter);
  };

  try {
    for await (const batch of source.receive()) {
      for (const letter of batch) {
        try {
          await replay(letter);
        } catch (error) {
          // One bad letter (a tampered sealed record, …) fails alone, named by its id; the run goes on.
          if (!isDynasyncError(error)) throw error;
          await failAgain(letter, error.code, `letter ${letter.id}: ${error.message}`, [
            ...letter.targetRegions,
          ]);
        }
      }
    }
    report.duplicates = source.duplicates;
    for (const item of source.notReplayable) {
      report.notReplayed.push(item);
      if (item.kind === 'unreadable') {
        report.unreadable += 1;
        print(`unreadable  ${item.where}: ${item.reason}; left in the store`);
      } else {
        report.onFailureBatches += 1;
        print(
          `onFailure   ${item.where}: Lambda gave up on ${item.batchSize} record${item.batchSize === 1 ? '' : 's'} of shard ${item.shardId} (sequence ${item.startSequenceNumber} … ${item.endSequenceNumber}${item.condition === undefined ? '' : `, ${item.condition}`}); they may be missing from the peers, and the record holds positions only: run "dynasync verify --from ${region} --to <peer> --repair${localEndpointFlags(config.regions)}" for each peer (or "dynasync backfill --from ${region} --to <peer> --resume${localEndpointFlags(config.regions)}" to seed one)`,
        );
      }
    }
  } finally {
    await source.close();
    if (ownsClients) for (const client of Object.values(clients)) client.destroy();
  }
  const summary =
    options.dryRun === true
      ? `dry run: ${report.entries.filter((e) => e.outcome === RedriveOutcomes.wouldApply).length} would be written, ${report.entries.filter((e) => e.outcome === RedriveOutcomes.wouldSkip).length} are stale, ${report.entries.filter((e) => e.outcome === RedriveOutcomes.wouldFail).length} would fail`
      : `redrive: ${report.replayed} replayed, ${report.stale} stale (targets already newer), ${report.failedAgain} failed again` +
        (report.duplicates > 0 ? `, ${report.duplicates} duplicate copies removed with them` : '');
  const unread =
    report.unreadable + report.onFailureBatches === 0
      ? ''
      : `; not replayable: ${report.unreadable} unreadable, ${report.onFailureBatches} Lambda on-failure batch${report.onFailureBatches === 1 ? '' : 'es'}${report.onFailureBatches > 0 ? ' (possible loss: see above)' : ''}`;
  print(summary + unread);
  logger.info('redrive finished', {
    replayed: report.replayed,
    stale: report.stale,
    failedAgain: report.failedAgain,
    unreadable: report.unreadable,
    onFailureBatches: report.onFailureBatches,
    dryRun: options.dryRun === true,
  });
  return report;
};

/**
 * The exit code a redrive calls for: 1 when a letter failed again, or when the store held what a
 * redrive cannot read (unreadable lines, Lambda on-failure batches: possible loss); else 0.
 */
export const redriveExitCodeOf = (report: RedriveReport): number =>
  report.failedAgain > 0 || report.unreadable > 0 || report.onFailureBatches > 0 ? 1 : 0;

/**
 * Opens a sealed record.
 * @throws DynasyncError `pipeline.decryptFailed` naming the letter when it does not open (tampered,
 *   another key) or does not hold a record.
 */
const openSealed = async (id: string, sealed: string, keys: KeyProvider): Promise<DeadLetter['record']> => {
  const text = decryptText(sealed, await keys.resolve());
  try {
    const record = JSON.parse(text) as unknown;
    if (typeof record !== 'object' || record === null) throw new Error('not an object');
    return record as DeadLetter['record'];
  } catch (cause) {
    throw new DynasyncError(
      ErrorCodes.pipeline.decryptFailed,
      `the sealed record of letter ${id} opens, but holds no stream record`,
      { payload: { letter: id }, cause },
    );
  }
};

/** True when the target already holds this version or a newer one (the write would be stale). */
const targetIsNewer = async (
  clients: Readonly<Record<string, DynamoDBClient>>,
  config: Config,
  write: PlannedWrite,
): Promise<boolean> => {
  const names = metadataNames(config);
  const { Item } = await clients[write.peer]!.send(
    new GetItemCommand({
      TableName: config.regions[write.peer]!.table,
      Key: write.change.keys as never,
      ConsistentRead: true,
      ProjectionExpression: '#v',
      ExpressionAttributeNames: { '#v': names.version },
    }),
  );
  const stored = Item?.[names.version]?.S;
  const version = stored === undefined ? undefined : tryDecodeVersion(stored);
  return version !== undefined && compareVersions(version, write.change.version) >= 0;
};
