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

/**
 * Makes a dead-letter protector for the peers' pipelines. A letter that targets a peer whose
 * pipeline masks keeps no clear values: its record is cut down to positions and times
 * (`recordRedacted`), and, only when every masking target's `deadLetterRecord` is `encrypted`, the
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
      ...(sealer === undefined ? {} : { sealedRecord: sealer.seal(JSON.stringify(letter.record)) }),
    };
  };
