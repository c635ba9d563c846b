import { encodeVersion, streamVersion } from '../../conflict/version.js';
import type { MetadataNames } from '../../core/config/topology.js';
import { isDynasyncError } from '../../core/errors.js';
import type { Item } from '../../core/types.js';
import type { Replicator } from '../../replicator/createReplicator.js';
import { decodeRecord } from '../../replicator/decodeRecord.js';
import { emptyCounts, type ReplicatorLogger } from '../../replicator/processBatch.js';
import type { BatchResult, StreamRecord } from '../../replicator/types.js';
import type { BackfillWrite, WriteCounts, WriteTarget } from '../_shared/writeItems/writeItems.js';
import { writeConditional } from '../_shared/writeItems/writeItems.js';
import { deriveChange, type MigrateTransform } from './deriveChange.js';

/** What the stream sync did so far. */
export interface StreamSyncStats {
  records: number;
  /** Derived items written (puts) and obsolete derived items tombstoned (deletes). */
  puts: number;
  deletes: number;
  applied: number;
  stale: number;
  /** Records the transform failed on, or writes DynamoDB rejected for good: not ready for cutover. */
  failed: number;
  /** Newest stream time applied, epoch ms. */
  lastStreamTimeMs: number | undefined;
}

/** Options of {@link MigrateApplier}. */
export interface MigrateApplierOptions {
  /** The source's region name in the migration config (origin of the versions). */
  readonly from: string;
  readonly transform: MigrateTransform;
  readonly targetKeyNames: readonly string[];
  readonly names: MetadataNames;
  readonly tombstoneRetentionSeconds: number;
  /** The target table's writer settings (client, concurrency, retries); see backfill's writer. */
  readonly target: Omit<WriteTarget, 'targetKeyNames' | 'names'>;
  readonly logger: ReplicatorLogger;
}

/**
 * The stream side of `dynasync migrate`: a {@link Replicator} for the `StreamPoller` that applies each
 * change of the legacy table to the derived items of the new one, with {@link deriveChange}.
 *
 * Every write carries the change's one-way stream version (`streamVersion`: stream time, then
 * sequence number) and is conditional (`attribute_not_exists(#v) OR #v <= :v`), so redeliveries,
 * retries and the backfill (which writes the lowest version) never put a derived item backwards;
 * obsolete derived keys become tombstones, so a late older change cannot bring them back.
 *
 * ```
 * #41 MODIFY order 7: 3 lines → 1 line   v41 ─► put ORDER#7, ITEM#1 (v41); tombstone ITEM#2, ITEM#3 (v41)
 * #40 (redelivered) 3 lines               v40 ─► stale everywhere: v41 is newer
 * backfill of order 7 (read before #41)   v0  ─► stale: never over a streamed change
 * ```
 * A batch whose writes keep failing is reported as unfinished from its first record
 * (`batchItemFailures`): the poller reads it again; the writes are idempotent.
 */
export class MigrateApplier implements Replicator {
  public readonly region: string;
  public readonly peers: readonly string[] = [];
  public readonly stats: StreamSyncStats = {
    records: 0,
    puts: 0,
    deletes: 0,
    applied: 0,
    stale: 0,
    failed: 0,
    lastStreamTimeMs: undefined,
  };

  public constructor(private readonly options: MigrateApplierOptions) {
    this.region = options.from;
  }

  public async process(records: readonly StreamRecord[], _deadlineMs: number): Promise<BatchResult> {
    const { names, targetKeyNames } = this.options;
    const writes: BackfillWrite[] = [];
    let newest: number | undefined;
    let failed = 0;
    records.forEach((raw, index) => {
      try {
        const record = decodeRecord(raw, index);
        if (record.byTtl) return;
        const version = encodeVersion(
          streamVersion(record.createdAtMs, this.options.from, record.sequenceNumber),
        );
        const change = deriveChange(this.options.transform, record.oldImage, record.newImage, targetKeyNames);
        for (const item of change.puts)
          writes.push({
            type: 'put',
            action: 'put',
            item: { ...item, [names.version]: { S: version }, [names.replicated]: { BOOL: true } },
            version,
            condition: { type: 'notNewer' },
          });
        const expires = String(
          Math.floor(record.createdAtMs / 1000) + this.options.tombstoneRetentionSeconds,
        );
        for (const key of change.deletes)
          writes.push({
            type: 'put',
            action: 'tombstone',
            item: {
              ...key,
              [names.version]: { S: version },
              [names.replicated]: { BOOL: true },
              [names.deleted]: { BOOL: true },
              [names.expires]: { N: expires },
            } satisfies Item,
            version,
            condition: { type: 'notNewer' },
          });
        this.stats.puts += change.puts.length;
        this.stats.deletes += change.deletes.length;
        newest = Math.max(newest ?? 0, record.createdAtMs);
      } catch (error) {
        failed += 1;
        this.options.logger.error('migrate: a stream record could not be applied', {
          code: isDynasyncError(error) ? error.code : 'migrate.transformFailed',
          sequenceNumber: (raw as { dynamodb?: { SequenceNumber?: string } }).dynamodb?.SequenceNumber,
        });
      }
    });
    const counts: WriteCounts = { written: 0, stale: 0, failed: 0, throttles: 0, consumedUnits: 0 };
    const result = emptyCounts(records.length);
    try {
      await writeConditional(writes, { ...this.options.target, names, targetKeyNames }, counts);
    } catch (error) {
      this.options.logger.warn('migrate: writes of a stream batch kept failing; it will be read again', {
        code: isDynasyncError(error) ? error.code : 'migrate.writeFailed',
      });
      const first = records[0]?.dynamodb?.SequenceNumber;
      return {
        batchItemFailures: first === undefined ? [] : [{ itemIdentifier: first }],
        counts: { ...result, unfinished: records.length },
        lagMs: undefined,
      };
    }
    this.stats.records += records.length;
    this.stats.applied += counts.written;
    this.stats.stale += counts.stale;
    this.stats.failed += failed + counts.failed;
    if (newest !== undefined)
      this.stats.lastStreamTimeMs = Math.max(this.stats.lastStreamTimeMs ?? 0, newest);
    return {
      batchItemFailures: [],
      counts: { ...result, changes: writes.length, applied: counts.written, stale: counts.stale },
      lagMs: newest === undefined ? undefined : Date.now() - newest,
    };
  }
}
