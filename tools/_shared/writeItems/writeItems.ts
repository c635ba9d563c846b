import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { abortableDelay } from '../../../core/async/abortableDelay.js';
import { encodeItem } from '../../../core/codec.js';
import type { MetadataNames } from '../../../core/config/topology.js';
import { itemSize, MAX_ITEM_BYTES } from '../../../core/itemSize.js';
import type { Item } from '../../../core/types.js';
import { backoffDelay, classifyError, ErrorClasses } from '../../../replicator/classifyError.js';
import { BackfillErrorCodes, backfillError } from '../../backfill/errors.js';
import { canonicalKeyId } from '../../verify/digest.js';
import { buildRepairInput, type RepairPlan } from '../../verify/planRepair.js';
import type { TokenBucket } from '../TokenBucket.js';
import type { RetryPolicy } from '../withRetries.js';
import { type AdaptiveConcurrency, isThrottle } from './AdaptiveConcurrency.js';
import { batchWriteBody, withBatchWriteBody } from './batchWriteBody.js';

/**
 * One planned write: the stamped item and the version its condition compares (backfill's and
 * migrate's planners both make these with verify's repair stamping).
 */
export type BackfillWrite = Extract<RepairPlan, { type: 'put' }>;

/** Where and how a page's writes are sent. */
export interface WriteTarget {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly names: MetadataNames;
  readonly targetKeyNames: readonly string[];
  readonly slots: AdaptiveConcurrency;
  /** Write capacity units per second (`--max-wps`). */
  readonly limiter?: TokenBucket;
  readonly retry: RetryPolicy;
  readonly signal?: AbortSignal;
}

/** What a page's writes did. */
export interface WriteCounts {
  written: number;
  stale: number;
  failed: number;
  throttles: number;
  consumedUnits: number;
  /** True once some write units were estimated from item sizes instead of reported by DynamoDB. */
  estimatedUnits?: boolean;
}

/** Write units of an item when DynamoDB reports none: 1 per started KB. */
const writeUnits = (item: Item): number => Math.max(1, Math.ceil(itemSize(item) / 1024));

const sleepFor = (retry: RetryPolicy) => retry.sleep ?? abortableDelay;

const gaveUp = (target: WriteTarget, error: unknown): Error =>
  backfillError(
    BackfillErrorCodes.writeFailed,
    `backfill: writes to ${target.tableName} kept failing (${(error as Error).name}: ${(error as Error).message}); the page is not checkpointed: fix the cause and run again with --resume`,
    { table: target.tableName, awsError: (error as Error).name },
    error,
  );

/**
 * After a failed request that is not stale: `'failed'` for a permanent error (count it, go on);
 * otherwise counts throttling (halving the writes in flight), waits its backoff and returns
 * `'retry'`. Throws when aborted, or `backfill.writeFailed` after the last attempt.
 */
const afterFailure = async (
  error: unknown,
  attempt: number,
  target: WriteTarget,
  counts: WriteCounts,
): Promise<'failed' | 'retry'> => {
  if (target.signal?.aborted === true) throw error;
  if (classifyError(error) === ErrorClasses.permanent) return 'failed';
  if (isThrottle(error)) {
    counts.throttles += 1;
    target.slots.onThrottle();
  }
  if (attempt + 1 >= target.retry.attempts) throw gaveUp(target, error);
  await sleepFor(target.retry)(
    backoffDelay(attempt, target.retry.baseDelayMs, target.retry.maxDelayMs, target.retry.random),
    target.signal,
  );
  return 'retry';
};

/**
 * The conditional path: one `PutItem` per item, `attribute_not_exists(#v) OR #v <= :v` (verify's
 * repair write, {@link buildRepairInput}): never over a newer version or a newer tombstone. A
 * failed condition is `stale`, not an error. Throttling halves the writes in flight; other
 * transient errors back off with full jitter; permanent ones (too large, validation) count as failed.
 * @throws DynasyncError `backfill.writeFailed` when transient errors outlast the retries.
 */
export const writeConditional = async (
  writes: readonly BackfillWrite[],
  target: WriteTarget,
  counts: WriteCounts,
): Promise<void> => {
  const one = async (write: BackfillWrite): Promise<void> => {
    if (itemSize(write.item) > MAX_ITEM_BYTES) {
      counts.failed += 1;
      return;
    }
    const input = {
      ...buildRepairInput(target.tableName, write, target.names),
      ReturnConsumedCapacity: 'TOTAL' as const,
    };
    const estimate = writeUnits(write.item);
    for (let attempt = 0; ; attempt += 1) {
      await target.limiter?.reserve(estimate, target.signal);
      try {
        const output = await target.slots.run(() =>
          target.client.send(
            new PutItemCommand(input),
            target.signal === undefined ? {} : { abortSignal: target.signal },
          ),
        );
        const units = output.ConsumedCapacity?.CapacityUnits ?? estimate;
        target.limiter?.settle(estimate, units);
        counts.consumedUnits += units;
        counts.written += 1;
        target.slots.onSuccess();
        return;
      } catch (error) {
        const kind = classifyError(error);
        if (kind === ErrorClasses.stale) {
          counts.consumedUnits += estimate; // a failed condition is charged like the write
          counts.stale += 1;
          target.slots.onSuccess();
          return;
        }
        target.limiter?.settle(estimate, 0);
        if ((await afterFailure(error, attempt, target, counts)) === 'failed') {
          counts.failed += 1;
          return;
        }
      }
    }
  };
  await Promise.all(writes.map(one));
};

/** Items per `BatchWriteItem` request (DynamoDB's limit). */
export const BATCH_WRITE_ITEMS = 25;

/**
 * The fast path: `BatchWriteItem`, 25 items a request, unconditional — only safe when nothing else is
 * in the target or writes it (see `backfill`'s path choice). Unprocessed items are resent with
 * backoff and count as throttling. A request never holds one key twice (DynamoDB rejects that): the
 * last output of a key in a page wins, as conditional writes of the same version would.
 *
 * DynamoDB's `ConsumedCapacity` is asked for only when a write limit (`--max-wps`) needs it: without
 * one, the units are estimated from item sizes (1 per started KB per item, exact for a table without
 * indexes) and `counts.estimatedUnits` says so. Asking costs the server work per item (measured on
 * DynamoDB Local: about a third more CPU per BatchWriteItem, on the very process the writes wait for).
 * @throws DynasyncError `backfill.writeFailed` when transient errors outlast the retries.
 */
export const writeBatches = async (
  writes: readonly BackfillWrite[],
  target: WriteTarget,
  counts: WriteCounts,
): Promise<void> => {
  const sleep = sleepFor(target.retry);
  const reported = target.limiter !== undefined;
  const byKey = new Map<string, { readonly item: Item; readonly units: number }>();
  for (const write of writes) {
    const size = itemSize(write.item);
    if (size > MAX_ITEM_BYTES) counts.failed += 1;
    else
      byKey.set(canonicalKeyId(write.item, target.targetKeyNames), {
        item: write.item,
        units: Math.max(1, Math.ceil(size / 1024)),
      });
  }
  const unique = [...byKey.values()];
  const chunks: Array<typeof unique> = [];
  for (let i = 0; i < unique.length; i += BATCH_WRITE_ITEMS)
    chunks.push(unique.slice(i, i + BATCH_WRITE_ITEMS));
  // Items travel as their JSON wire text, sent as the request body as is (see withBatchWriteBody).
  const wireOf = (item: Item): string => JSON.stringify(encodeItem(item));
  const one = async (chunk: typeof unique): Promise<void> => {
    let requests: string[] = chunk.map((write) => wireOf(write.item));
    let estimate = chunk.reduce((sum, write) => sum + write.units, 0);
    for (let attempt = 0; requests.length > 0; attempt += 1) {
      await target.limiter?.reserve(estimate, target.signal);
      let output: BatchWriteItemCommandOutput;
      try {
        output = await target.slots.run(() =>
          target.client.send(
            withBatchWriteBody(
              new BatchWriteItemCommand({
                RequestItems: { [target.tableName]: [] },
                ...(reported ? { ReturnConsumedCapacity: 'TOTAL' as const } : {}),
              }),
              batchWriteBody(target.tableName, requests, reported),
            ),
            target.signal === undefined ? {} : { abortSignal: target.signal },
          ),
        );
      } catch (error) {
        target.limiter?.settle(estimate, 0);
        if ((await afterFailure(error, attempt, target, counts)) === 'failed') {
          counts.failed += requests.length;
          return;
        }
        continue;
      }
      const unprocessed = output.UnprocessedItems?.[target.tableName] ?? [];
      const reportedUnits = output.ConsumedCapacity?.reduce(
        (sum, entry) => sum + (entry.CapacityUnits ?? 0),
        0,
      );
      if (reportedUnits === undefined) counts.estimatedUnits = true;
      // Unreported: the units of the items written (unprocessed ones are charged when resent).
      const units = reportedUnits ?? (estimate * (requests.length - unprocessed.length)) / requests.length;
      target.limiter?.settle(estimate, units);
      counts.consumedUnits += units;
      counts.written += requests.length - unprocessed.length;
      if (unprocessed.length === 0) {
        target.slots.onSuccess();
        return;
      }
      counts.throttles += 1;
      target.slots.onThrottle();
      if (attempt + 1 >= target.retry.attempts)
        throw gaveUp(
          target,
          Object.assign(new Error(`${unprocessed.length} items stayed unprocessed`), {
            name: 'UnprocessedItems',
          }),
        );
      estimate = Math.max(1, Math.round((estimate * unprocessed.length) / requests.length));
      requests = unprocessed.map((request) => wireOf(request.PutRequest?.Item as Item));
      await sleep(
        backoffDelay(attempt, target.retry.baseDelayMs, target.retry.maxDelayMs, target.retry.random),
        target.signal,
      );
    }
  };
  await Promise.all(chunks.map(one));
};
