import { ErrorCodes } from '../../core/errors.js';
import type { Pipeline } from '../../pipeline/types.js';
import type { StreamRecord } from '../types.js';
import type { DeadLetter } from './types.js';

/** The parts of a stream record that hold no item values: positions, times, sizes. */
export const redactedRecord = (record: StreamRecord): StreamRecord => ({
  ...(record.eventID === undefined ? {} : { eventID: record.eventID }),
  ...(record.eventName === undefined ? {} : { eventName: record.eventName }),
  ...(record.eventSourceARN === undefined ? {} : { eventSourceARN: record.eventSourceARN }),
  ...(record.awsRegion === undefined ? {} : { awsRegion: record.awsRegion }),
  dynamodb: {
    ...(record.dynamodb?.SequenceNumber === undefined
      ? {}
      : { SequenceNumber: record.dynamodb.SequenceNumber }),
    ...(record.dynamodb?.ApproximateCreationDateTime === undefined
      ? {}
      : { ApproximateCreationDateTime: record.dynamodb.ApproximateCreationDateTime }),
    ...(record.dynamodb?.SizeBytes === undefined ? {} : { SizeBytes: record.dynamodb.SizeBytes }),
    ...(record.dynamodb?.StreamViewType === undefined
      ? {}
      : { StreamViewType: record.dynamodb.StreamViewType }),
  },
});

const CODES: ReadonlySet<string> = new Set(
  Object.values(ErrorCodes).flatMap((group): string[] => Object.values(group)),
);

/** A name that is schema, not data: an attribute or stage name, a region, a number. */
const PLAIN_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A quoted run of text: "…", '…' or `…`. */
const QUOTED = /"[^"]*"|'[^']*'|`[^`]*`/g;

/**
 * An attribute path of two or more segments (`byEmail.ada@example.com.S`, `items[3].note`), up to
 * the next space, bracket or punctuation: the segments after the first may be map keys, which are
 * data (masking never changes map keys), and a map key may itself hold dots.
 */
const DEEP_PATH = /[A-Za-z0-9_$#-]+(?:\.[^\s()[\],;:"'`]*|\[\d+\])+/g;

/**
 * A dead letter's error message as it may be kept for a peer whose pipeline masks: without values
 * and without map keys. A quoted text stays only when it is a plain name (`"pii"`, `"email"`);
 * other quoted texts become `"…"`. An attribute path keeps its first segment, the rest becomes
 * `.…` (`byEmail.ada@example.com.S` → `byEmail.…`); dotted error codes stay. The code of the letter
 * still says why it failed.
 * @example
 * protectMessage('invalid item at output.byEmail.ada@example.com.S ("ada" is not a number)')
 * // 'invalid item at output.… ("…" is not a number)'
 */
export const protectMessage = (message: string): string =>
  message
    .replace(QUOTED, (quoted) => {
      const inner = quoted.slice(1, -1);
      const mark = quoted[0]!;
      if (PLAIN_NAME.test(inner) || CODES.has(inner)) return quoted;
      const head = /^[A-Za-z0-9_$#-]+(?=[.[])/.exec(inner)?.[0];
      return head === undefined ? `${mark}…${mark}` : `${mark}${head}.…${mark}`;
    })
    .replace(DEEP_PATH, (path) => {
      const bare = path.replace(/\.+$/, ''); // a code or path that ends a sentence
      if (CODES.has(bare)) return path;
      const head = /^[A-Za-z0-9_$#-]+/.exec(path)![0];
      return `${head}.…`;
    });

/**
 * Makes a dead-letter protector for the peers' pipelines. A letter that targets a peer whose
 * pipeline masks keeps no clear values: its record is cut down to positions and times
 * (`recordRedacted`), its error message loses values and map keys ({@link protectMessage}), and, only when every masking target's `deadLetterRecord` is `encrypted`, the
 * whole record goes along sealed under the masking key (`sealedRecord`; `redrive` opens it).
 * Letters for other peers are unchanged.
 */
export const letterProtector =
  (pipelines: Readonly<Record<string, Pipeline>>) =>
  (letter: DeadLetter): DeadLetter => {
    const masking = letter.targetRegions.flatMap((peer) => {
      const pipeline = pipelines[peer];
      return pipeline?.masks === true ? [pipeline] : [];
    });
    if (masking.length === 0) return letter;
    const sealer = masking.every((pipeline) => pipeline.deadLetterRecord === 'encrypted')
      ? masking[0]
      : undefined;
    return {
      ...letter,
      record: redactedRecord(letter.record),
      recordRedacted: true,
      error: { ...letter.error, message: protectMessage(letter.error.message) },
      ...(sealer === undefined ? {} : { sealedRecord: sealer.seal(JSON.stringify(letter.record)) }),
    };
  };
