import { gunzipSync, gzipSync } from 'node:zlib';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { DeadLetter } from './types.js';

/** SQS's classic message size limit; dead letters are kept within it. */
export const SQS_MAX_MESSAGE_BYTES = 256 * 1024;

/** How a dead letter was put into a message body. */
export const DeadLetterEncodings = {
  /** The dead letter as JSON. */
  json: 'json',
  /** `{"dynasync":"deadLetter/gzip","data":"<base64 gzip of the JSON>"}` — for records too big as JSON. */
  gzip: 'gzip',
  /** The record itself was too big even compressed: the letter without it (see `recordOmitted`). */
  omitted: 'omitted',
} as const;
export type DeadLetterEncoding = (typeof DeadLetterEncodings)[keyof typeof DeadLetterEncodings];

/** A dead letter that had to leave its record out of the message. */
export interface OmittedRecord {
  readonly reason: 'tooLarge';
  /** Size of the whole letter as gzip-compressed JSON. */
  readonly compressedBytes: number;
}

const GZIP_MARK = 'deadLetter/gzip';

/**
 * Puts a dead letter into a message body of at most `maxBytes`: JSON when it fits, else gzip +
 * base64 in a small JSON envelope, else the letter without its record (`recordOmitted`), so the
 * queue still shows what failed and where — the caller must then keep the whole letter elsewhere.
 */
export const encodeDeadLetter = (
  letter: DeadLetter,
  maxBytes = SQS_MAX_MESSAGE_BYTES,
): { body: string; encoding: DeadLetterEncoding } => {
  const json = JSON.stringify(letter);
  if (Buffer.byteLength(json) <= maxBytes) return { body: json, encoding: DeadLetterEncodings.json };
  const compressed = gzipSync(json);
  const envelope = JSON.stringify({ dynasync: GZIP_MARK, data: compressed.toString('base64') });
  if (Buffer.byteLength(envelope) <= maxBytes) return { body: envelope, encoding: DeadLetterEncodings.gzip };
  const { record, ...rest } = letter;
  const stub = {
    ...rest,
    record: {
      eventID: record.eventID,
      eventName: record.eventName,
      dynamodb: { Keys: record.dynamodb?.Keys, SequenceNumber: record.dynamodb?.SequenceNumber },
    },
    recordOmitted: { reason: 'tooLarge', compressedBytes: compressed.byteLength } satisfies OmittedRecord,
  };
  return { body: JSON.stringify(stub), encoding: DeadLetterEncodings.omitted };
};

/**
 * Reads a dead letter back from a message body written by {@link encodeDeadLetter}.
 * @throws DynasyncError `replicator.deadLetterFailed` when the body is not a dead letter.
 */
export const decodeDeadLetter = (body: string): DeadLetter & { recordOmitted?: OmittedRecord } => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      (parsed as { dynasync?: unknown }).dynasync === GZIP_MARK
    ) {
      parsed = JSON.parse(
        gunzipSync(Buffer.from((parsed as { data: string }).data, 'base64')).toString('utf8'),
      );
    }
  } catch (cause) {
    throw new DynasyncError(
      ErrorCodes.replicator.deadLetterFailed,
      'a dead-letter message is neither JSON nor a gzip envelope',
      { cause },
    );
  }
  const letter = parsed as Partial<DeadLetter>;
  if (letter.kind !== 'streamRecord' || typeof letter.id !== 'string' || letter.record === undefined) {
    throw new DynasyncError(
      ErrorCodes.replicator.deadLetterFailed,
      'a dead-letter message does not hold a dynasync dead letter (kind, id, record)',
    );
  }
  return parsed as DeadLetter & { recordOmitted?: OmittedRecord };
};
