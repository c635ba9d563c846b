import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { metadataNames } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import type { Item } from '../../core/types.js';
import { resolveKeyHasher } from '../../keys/keyHasher.js';
import { createDynamoClients, createStreamsClient } from '../../replicator/clients.js';
import { FileCheckpointStore } from '../../replicator/poller/FileCheckpointStore.js';
import { StreamPoller } from '../../replicator/poller/StreamPoller.js';
import type { ReplicatorLogger } from '../../replicator/processBatch.js';
import { describeTable } from '../_shared/describeTable.js';
import { DEFAULT_RETRY } from '../_shared/withRetries.js';
import { AdaptiveConcurrency } from '../_shared/writeItems/AdaptiveConcurrency.js';
import { backfill } from '../backfill/backfill.js';
import type { BackfillReport } from '../backfill/types.js';
import type { VerifyReport } from '../verify/types.js';
import { verify } from '../verify/verify.js';
import { checkedTransform, loadTransform, type TransformModule } from './loadTransform.js';
import { MigrateApplier, type StreamSyncStats } from './MigrateApplier.js';
import { MigrateRegions, migrationConfig } from './migrationConfig.js';

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** A config with a `migrate` section. */
  readonly config: Config;
  /** The config file's path: `migrate.transform` is relative to its folder. */
  readonly configFile: string;
  /** The transform module itself (tests, embedding). @default loaded from `migrate.transform` */
  readonly transformModule?: TransformModule;
  /** Backfill: scan segments. @default 4 */
  readonly segments?: number;
  /** Backfill: read / write capacity units per second. @default unlimited */
  readonly maxRps?: number;
  readonly maxWps?: number;
  /** Backfill: items per scan page. @default backfill's */
  readonly pageSize?: number;
  /** Backfill: continue its checkpointed run. @default false */
  readonly resume?: boolean;
  /** Verify: grace period before differences are re-read, seconds (set it above the sync's lag). @default 5 */
  readonly settleSeconds?: number;
  /**
   * After the report, keep the stream sync running until this signal fires (the time until cutover).
   * @default stop the sync once the report is made (its stream checkpoint is saved; the next run resumes it)
   */
  readonly keepSyncingUntil?: AbortSignal;
  /**
   * Called with the report as soon as it is made (before waiting for `keepSyncingUntil`), and a
   * reader of the stream sync's live counts (they go on growing while it follows).
   */
  readonly onReport?: (report: MigrateReport, liveStats: () => StreamSyncStats) => void;
  readonly signal?: AbortSignal;
  readonly logger?: ReplicatorLogger;
  /** DynamoDB clients for `migrate-source` and `migrate-target`. @default created from the config */
  readonly clients?: Readonly<Record<string, DynamoDBClient>>;
}

/** The result of a migration run: readiness for cutover and how it was decided. */
export interface MigrateReport {
  readonly source: { readonly region: string; readonly table: string };
  readonly target: { readonly region: string; readonly table: string };
  /** True when the backfill completed, the stream sync failed nothing and verify found the target clean. */
  readonly ready: boolean;
  /** Why not ready (empty when ready). */
  readonly reasons: readonly string[];
  readonly backfill: BackfillReport;
  readonly stream: StreamSyncStats;
  /** `transform(source)` verified against the target. */
  readonly verify: VerifyReport;
  readonly durationMs: number;
}

/** A logger for the stream sync that keeps stdout for the summary: warnings and errors to stderr. */
const stderrLogger: ReplicatorLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message: unknown, ...extra: unknown[]) =>
    process.stderr.write(`${JSON.stringify({ level: 'WARN', message, extra })}\n`),
  error: (message: unknown, ...extra: unknown[]) =>
    process.stderr.write(`${JSON.stringify({ level: 'ERROR', message, extra })}\n`),
} as ReplicatorLogger;

/**
 * `dynasync migrate`: keeps a legacy table and a table in a new model in sync while both are live,
 * and says whether the new one is ready for cutover.
 *
 * ```
 * 1. stream sync starts  legacy stream ─► transform ─► derived puts + tombstones of obsolete keys
 * 2. backfill            legacy scan ─► transform ─► conditional writes (lowest version: never over the sync)
 * 3. verify              transform(legacy) vs new table, settle re-reads ─► ready | drift
 * 4. (keepSyncingUntil)  the sync runs on until cutover; stopping saves its stream checkpoint
 * ```
 * The sync starts first so that nothing changed during the backfill is missed (the same order as
 * seeding a region). Versions are one-way stream versions; see `MigrateApplier` and `planBackfillPage`.
 * @throws DynasyncError `migrate.invalidConfig`, `migrate.transformLoadFailed`, and whatever backfill
 *   or verify throw (`backfill.*`, `verify.*`, `config.tableUnreachable`, `config.tableMismatch`).
 */
/** Why the target is not ready for cutover (pure): an incomplete backfill, failed stream changes, drift. */
const notReadyReasons = (
  backfillReport: MigrateReport['backfill'],
  streamFailures: number,
  verifyReport: MigrateReport['verify'],
): string[] => {
  const reasons: string[] = [];
  if (!backfillReport.complete)
    reasons.push(`backfill incomplete: ${backfillReport.skipped} skipped, ${backfillReport.failed} failed`);
  if (streamFailures > 0) reasons.push(`stream sync: ${streamFailures} changes failed (see the log)`);
  if (!verifyReport.inSync) {
    const { missing, extra, different } = verifyReport.counts;
    reasons.push(`verify: ${missing} missing, ${extra} extra, ${different} different`);
  }
  return reasons;
};

export const migrate = async (options: MigrateOptions): Promise<MigrateReport> => {
  const started = performance.now();
  const config = migrationConfig(options.config);
  const section = options.config.migrate!;
  const from = MigrateRegions.source;
  const to = MigrateRegions.target;
  const module = options.transformModule ?? (await loadTransform(section.transform, options.configFile));
  const logger = options.logger ?? stderrLogger;
  const ownClients = options.clients === undefined;
  const clients =
    options.clients ?? createDynamoClients(config, { maxSockets: config.replicator.concurrency * 2 });
  const streamsClient = createStreamsClient(config, from);
  let poller: StreamPoller | undefined;
  try {
    const [{ keyNames: sourceKeys }, { keyNames: targetKeys }] = await Promise.all([
      describeTable('migrate', clients[from]!, from, config.regions[from]!.table, DEFAULT_RETRY),
      describeTable('migrate', clients[to]!, to, config.regions[to]!.table, DEFAULT_RETRY),
    ]);
    const transform = checkedTransform(
      module.transform,
      sourceKeys,
      targetKeys,
      await resolveKeyHasher(config, from),
    );
    const names = metadataNames(config);
    const applier = new MigrateApplier({
      from,
      transform,
      targetKeyNames: targetKeys,
      names,
      tombstoneRetentionSeconds: config.tombstones.retentionDays * 86_400,
      target: {
        client: clients[to]!,
        tableName: config.regions[to]!.table,
        slots: new AdaptiveConcurrency(config.replicator.concurrency),
        retry: { ...DEFAULT_RETRY, attempts: 5 },
      },
      logger,
    });
    poller = new StreamPoller({
      config,
      region: from,
      replicator: applier,
      streamsClient,
      dynamoClient: clients[from]!,
      checkpoints: FileCheckpointStore.forRegion(config, from),
      logger,
      statsIntervalMs: 0,
    });
    await poller.start();

    const backfillReport = await backfill({
      config,
      from,
      to,
      clients,
      transform,
      ...(options.segments === undefined ? {} : { segments: options.segments }),
      ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
      ...(options.maxWps === undefined ? {} : { maxWps: options.maxWps }),
      ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      resume: options.resume === true,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const verifyReport = await verify({
      config,
      from,
      to,
      clients,
      transform,
      settleSeconds: options.settleSeconds ?? 5,
      ...(module.sourceKeyOf === undefined ? {} : { sourceKeyOf: (key: Item) => module.sourceKeyOf?.(key) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const reasons = notReadyReasons(backfillReport, applier.stats.failed, verifyReport);
    const report: MigrateReport = {
      source: { region: section.source.region, table: section.source.table },
      target: { region: section.target.region, table: section.target.table },
      ready: reasons.length === 0,
      reasons,
      backfill: backfillReport,
      stream: { ...applier.stats },
      verify: verifyReport,
      durationMs: Math.round(performance.now() - started),
    };
    options.onReport?.(report, () => ({ ...applier.stats }));
    const until = options.keepSyncingUntil;
    if (until !== undefined && !until.aborted)
      await new Promise<void>((resolve) => until.addEventListener('abort', () => resolve(), { once: true }));
    return report;
  } finally {
    await poller?.stop();
    streamsClient.destroy();
    if (ownClients) for (const client of Object.values(clients)) client.destroy();
  }
};
