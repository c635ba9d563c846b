import {
  BatchGetItemCommand,
  type BatchGetItemCommandInput,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { abortableDelay } from '../../../core/async/abortableDelay.js';
import { itemSize } from '../../../core/itemSize.js';
import type { Item } from '../../../core/types.js';
import { backoffDelay } from '../../../replicator/classifyError.js';
import type { TokenBucket } from '../../_shared/TokenBucket.js';
import { type RetryPolicy, withRetries } from '../../_shared/withRetries.js';
import { VerifyErrorCodes, verifyError } from '../errors.js';

/** Keys per BatchGetItem request (DynamoDB's limit). */
export const BATCH_GET_KEYS = 100;

/** What a batch of consistent reads returned and cost. */
export interface BatchGetResult {
  readonly items: Item[];
  consumedUnits: number;
  estimated: boolean;
}

/** Options of {@link batchGetConsistent}. */
export interface BatchGetOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Distinct keys, at most {@link BATCH_GET_KEYS}. */
  readonly keys: readonly Item[];
  readonly limiter?: TokenBucket;
  readonly retry: RetryPolicy;
  readonly signal?: AbortSignal;
}

type Keys = NonNullable<BatchGetItemCommandInput['RequestItems']>[string]['Keys'];

/**
 * Reads up to 100 keys with one strongly consistent BatchGetItem (1 read unit per started 4 KB of
 * each item), re-requesting the keys DynamoDB leaves unprocessed with backoff. Absent keys are
 * simply not in the result.
 * @throws DynasyncError `verify.readFailed` when a request or the unprocessed keys keep failing.
 */
export const batchGetConsistent = async (options: BatchGetOptions): Promise<BatchGetResult> => {
  const { tableName, retry } = options;
  const result: BatchGetResult = { items: [], consumedUnits: 0, estimated: false };
  if (options.keys.length === 0) return result;
  if (options.keys.length > BATCH_GET_KEYS)
    throw new Error(
      `batchGetConsistent: at most ${BATCH_GET_KEYS} keys per call, got ${options.keys.length}`,
    );
  let pending = options.keys as unknown as Keys;
  const sleep = retry.sleep ?? abortableDelay;
  for (let round = 0; pending !== undefined && pending.length > 0; round += 1) {
    if (round >= retry.attempts)
      throw verifyError(
        VerifyErrorCodes.readFailed,
        `verify: ${pending.length} consistent reads of ${tableName} stayed unprocessed after ${retry.attempts} attempts; the table is throttled: lower --max-rps or retry later`,
        { table: tableName },
      );
    if (round > 0)
      await sleep(backoffDelay(round - 1, retry.baseDelayMs, retry.maxDelayMs, retry.random), options.signal);
    const reserved = pending.length;
    await options.limiter?.reserve(reserved, options.signal);
    const input: BatchGetItemCommandInput = {
      RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } },
      ReturnConsumedCapacity: 'TOTAL',
    };
    let output: BatchGetItemCommandOutput;
    try {
      output = await withRetries(
        () =>
          options.client.send(
            new BatchGetItemCommand(input),
            options.signal === undefined ? {} : { abortSignal: options.signal },
          ),
        retry,
        options.signal,
      );
    } catch (cause) {
      if (options.signal?.aborted === true)
        throw verifyError(VerifyErrorCodes.aborted, `verify: the re-reads of ${tableName} were interrupted`);
      const error = cause as Error;
      throw verifyError(
        VerifyErrorCodes.readFailed,
        `verify: consistent reads of ${tableName} failed: ${error.name}: ${error.message}`,
        { table: tableName, awsError: error.name },
        cause,
      );
    }
    const items = (output.Responses?.[tableName] ?? []) as unknown as Item[];
    result.items.push(...items);
    let units = output.ConsumedCapacity?.find((entry) => entry.TableName === tableName)?.CapacityUnits;
    if (units === undefined) {
      units =
        Math.max(pending.length - items.length, 0) +
        items.reduce((sum, item) => sum + Math.ceil(itemSize(item) / 4096), 0);
      result.estimated = true;
    }
    options.limiter?.settle(reserved, units);
    result.consumedUnits += units;
    pending = output.UnprocessedKeys?.[tableName]?.Keys;
  }
  return result;
};
