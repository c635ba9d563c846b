import { decodeDeadLetter } from '../deadLetter/encodeDeadLetter.js';
import type { OnFailureBatch, StoredDeadLetter, StoredMessage } from './types.js';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * The batch an on-failure record of a Lambda event-source mapping for a DynamoDB stream names, or
 * undefined when `parsed` is not one. Lambda writes such a record (to the mapping's OnFailure
 * destination) when it gives up on a batch: it holds positions only, never the records.
 *
 * ```
 * {"requestContext":{…,"condition":"RetryAttemptsExhausted"},"responseContext":{…},"version":"1.0",
 *  "timestamp":"…","DDBStreamBatchInfo":{"shardId":"…","startSequenceNumber":"…","endSequenceNumber":"…",
 *  "streamArn":"…","batchSize":12,"approximateArrivalOfFirstRecord":"…",…}}
 * ```
 */
export const onFailureBatchOf = (parsed: unknown, where: string): OnFailureBatch | undefined => {
  if (!isObject(parsed) || !isObject(parsed.DDBStreamBatchInfo)) return undefined;
  const info = parsed.DDBStreamBatchInfo;
  const context = isObject(parsed.requestContext) ? parsed.requestContext : {};
  const first = text(info.approximateArrivalOfFirstRecord);
  const last = text(info.approximateArrivalOfLastRecord);
  const condition = text(context.condition);
  return {
    kind: 'onFailureBatch',
    where,
    shardId: text(info.shardId) ?? '?',
    startSequenceNumber: text(info.startSequenceNumber) ?? '?',
    endSequenceNumber: text(info.endSequenceNumber) ?? '?',
    streamArn: text(info.streamArn) ?? '?',
    batchSize: typeof info.batchSize === 'number' ? info.batchSize : 0,
    ...(condition === undefined ? {} : { condition }),
    ...(first === undefined ? {} : { approximateArrivalOfFirstRecord: first }),
    ...(last === undefined ? {} : { approximateArrivalOfLastRecord: last }),
  };
};

/**
 * Reads one line or message of a dead-letter store: a dynasync dead letter, an on-failure record of
 * the Lambda mapping (a batch Lambda gave up on: possible loss), or something unreadable (corrupt,
 * another shape). Never throws: what cannot be replayed is a value the redrive reports.
 * @param where where it is, for the report (`line 3`, `message <id>`).
 */
export const readStoredMessage = (body: string, where: string): StoredMessage => {
  try {
    return { kind: 'letter', letter: decodeDeadLetter(body) as StoredDeadLetter };
  } catch {
    // not a dead letter: an on-failure record, or unreadable
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'unreadable', where, reason: 'not JSON (a corrupt or truncated line)' };
  }
  const batch = onFailureBatchOf(parsed, where);
  if (batch !== undefined) return batch;
  return {
    kind: 'unreadable',
    where,
    reason: 'JSON, but neither a dynasync dead letter (kind, id, record) nor a Lambda on-failure record',
  };
};
