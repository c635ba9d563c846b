import { decodeItem } from '../core/codec.js';
import { DynasyncError, ErrorCodes, isDynasyncError } from '../core/errors.js';
import { keyIdOf } from '../core/keyId.js';
import type { Item } from '../core/types.js';
import { type DecodedRecord, type EventName, EventNames, type StreamRecord } from './types.js';

const EVENT_NAMES: readonly string[] = Object.values(EventNames);

/** Names a record in error messages by position and sequence number, never by values. */
export const describeRecord = (record: StreamRecord, index: number): string =>
  `record #${index} (sequence ${sequenceNumberOf(record) ?? 'unknown'})`;

/** A record's sequence number when it has a text one, whatever else it holds (`null`, a string, an array). */
export const sequenceNumberOf = (record: unknown): string | undefined => {
  if (typeof record !== 'object' || record === null) return undefined;
  const body = (record as StreamRecord).dynamodb;
  return typeof body === 'object' && body !== null && typeof body.SequenceNumber === 'string'
    ? body.SequenceNumber
    : undefined;
};

const malformed = (record: StreamRecord, index: number, reason: string, cause?: unknown): DynasyncError =>
  new DynasyncError(ErrorCodes.replicator.malformedRecord, `${describeRecord(record, index)}: ${reason}`, {
    payload: {
      index,
      sequenceNumber: sequenceNumberOf(record),
      reason,
      path: isDynasyncError(cause) ? cause.payload.path : undefined,
    },
    cause,
  });

const decodeImage = (record: StreamRecord, index: number, value: unknown, where: string): Item => {
  try {
    return decodeItem(value, where);
  } catch (cause) {
    throw malformed(record, index, isDynasyncError(cause) ? cause.message : `${where} is not an item`, cause);
  }
};

/**
 * Validates a stream record and decodes its images exactly.
 * @throws DynasyncError `replicator.malformedRecord` or `replicator.unsupportedStreamViewType`,
 *   naming the record by batch position and sequence number and saying what is wrong.
 */
export const decodeRecord = (record: StreamRecord, index: number): DecodedRecord => {
  if (typeof record !== 'object' || record === null) throw malformed({}, index, 'not a stream record object');
  const body = record.dynamodb;
  if (body === undefined || body === null || typeof body !== 'object')
    throw malformed(record, index, 'has no "dynamodb" section');
  const sequenceNumber = body.SequenceNumber;
  if (typeof sequenceNumber !== 'string' || !/^\d{1,40}$/.test(sequenceNumber)) {
    throw malformed(record, index, 'has no valid SequenceNumber');
  }
  const eventName = record.eventName;
  if (typeof eventName !== 'string' || !EVENT_NAMES.includes(eventName)) {
    throw malformed(
      record,
      index,
      `unknown eventName ${JSON.stringify(eventName)}; expected INSERT, MODIFY or REMOVE`,
    );
  }
  if (body.StreamViewType !== undefined && body.StreamViewType !== 'NEW_AND_OLD_IMAGES') {
    throw new DynasyncError(
      ErrorCodes.replicator.unsupportedStreamViewType,
      `${describeRecord(record, index)}: stream view type ${body.StreamViewType}; dynasync needs NEW_AND_OLD_IMAGES (set it on the table's stream)`,
      { payload: { index, sequenceNumber, streamViewType: body.StreamViewType } },
    );
  }
  if (body.Keys === undefined) throw malformed(record, index, 'has no Keys');
  const keys = decodeImage(record, index, body.Keys, 'Keys');
  if (Object.keys(keys).length === 0 || Object.keys(keys).length > 2)
    throw malformed(record, index, 'Keys must hold one or two key attributes');
  const newImage =
    body.NewImage === undefined ? undefined : decodeImage(record, index, body.NewImage, 'NewImage');
  const oldImage =
    body.OldImage === undefined ? undefined : decodeImage(record, index, body.OldImage, 'OldImage');
  if (eventName !== EventNames.remove && newImage === undefined) {
    throw malformed(record, index, `${eventName} without NewImage; the stream must use NEW_AND_OLD_IMAGES`);
  }
  if (eventName === EventNames.modify && oldImage === undefined) {
    throw malformed(record, index, 'MODIFY without OldImage; the stream must use NEW_AND_OLD_IMAGES');
  }
  if (eventName === EventNames.remove && oldImage === undefined) {
    throw malformed(record, index, 'REMOVE without OldImage; the stream must use NEW_AND_OLD_IMAGES');
  }
  const seconds = body.ApproximateCreationDateTime;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw malformed(record, index, 'has no valid ApproximateCreationDateTime');
  }
  const identity = record.userIdentity;
  return {
    index,
    sequenceNumber,
    eventName: eventName as EventName,
    keys,
    keyId: keyIdOf(keys),
    newImage,
    oldImage,
    createdAtMs: Math.round(seconds * 1000),
    byTtl: identity?.type === 'Service' && identity.principalId === 'dynamodb.amazonaws.com',
    ...(typeof body.SizeBytes === 'number' && Number.isFinite(body.SizeBytes)
      ? { sizeBytes: body.SizeBytes }
      : {}),
  };
};
