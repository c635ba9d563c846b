import { describe, expect, it } from 'vitest';
import { type DynasyncError, ErrorCodes } from '../../core/errors.js';
import { decodeRecord, describeRecord } from '../../replicator/decodeRecord.js';
import type { StreamRecord } from '../../replicator/types.js';
import { streamRecord } from '../helpers/factories.js';
import { dynasyncErrorOf } from '../helpers/laws.js';

const failure = dynasyncErrorOf;

/** A record with `edit` applied to its `dynamodb` section. */
const withBody = (record: StreamRecord, edit: Record<string, unknown>): StreamRecord =>
  ({ ...record, dynamodb: { ...record.dynamodb, ...edit } }) as StreamRecord;

const image = { pk: { S: 'k1' }, qty: { N: '12345678901234567890123456789012345678' }, raw: { B: 'AQI=' } };

describe('decodeRecord', () => {
  it('decodes a MODIFY exactly', () => {
    // Prepare
    const record = streamRecord({
      oldImage: { pk: { S: 'k1' } },
      newImage: image,
      sequenceNumber: '111',
      createdAt: 1_700_000_000.25,
    });

    // Act
    const decoded = decodeRecord(record, 3);

    // Assess
    expect(decoded.index).toBe(3);
    expect(decoded.sequenceNumber).toBe('111');
    expect(decoded.eventName).toBe('MODIFY');
    expect(decoded.keys).toStrictEqual({ pk: { S: 'k1' } });
    expect(decoded.newImage?.qty).toStrictEqual({ N: '12345678901234567890123456789012345678' });
    expect(decoded.newImage?.raw).toStrictEqual({ B: new Uint8Array([1, 2]) });
    expect(decoded.oldImage).toStrictEqual({ pk: { S: 'k1' } });
    expect(decoded.createdAtMs).toBe(1_700_000_000_250);
    expect(decoded.byTtl).toBe(false);
  });

  it('marks a REMOVE by the TTL service', () => {
    const decoded = decodeRecord(streamRecord({ oldImage: { pk: { S: 'k1' } }, ttl: true }), 0);

    expect(decoded.eventName).toBe('REMOVE');
    expect(decoded.byTtl).toBe(true);
  });

  it('gives numerically equal keys the same keyId, and different keys different ones', () => {
    const a = decodeRecord(streamRecord({ keys: { pk: { N: '1' } }, newImage: { pk: { N: '1' } } }), 0);
    const b = decodeRecord(streamRecord({ keys: { pk: { N: '1.0' } }, newImage: { pk: { N: '1.0' } } }), 1);
    const c = decodeRecord(streamRecord({ keys: { pk: { S: '1' } }, newImage: { pk: { S: '1' } } }), 2);
    const d = decodeRecord(
      streamRecord({
        keys: { pk: { S: 'a' }, sk: { S: 'b' } },
        newImage: { pk: { S: 'a' }, sk: { S: 'b' } },
      }),
      3,
    );
    const e = decodeRecord(
      streamRecord({
        keys: { sk: { S: 'b' }, pk: { S: 'a' } },
        newImage: { pk: { S: 'a' }, sk: { S: 'b' } },
      }),
      4,
    );

    expect(a.keyId).toBe(b.keyId);
    expect(a.keyId).not.toBe(c.keyId);
    expect(d.keyId).toBe(e.keyId);
  });

  it.each<[string, (record: StreamRecord) => StreamRecord, string]>([
    ['no Keys', (r) => withBody(r, { Keys: undefined }), ErrorCodes.replicator.malformedRecord],
    ['empty Keys', (r) => withBody(r, { Keys: {} }), ErrorCodes.replicator.malformedRecord],
    [
      'three key attributes',
      (r) => withBody(r, { Keys: { a: { S: '1' }, b: { S: '2' }, c: { S: '3' } } }),
      ErrorCodes.replicator.malformedRecord,
    ],
    [
      'an INSERT without NewImage',
      (r) => ({ ...withBody(r, { NewImage: undefined }), eventName: 'INSERT' }),
      ErrorCodes.replicator.malformedRecord,
    ],
    [
      'a MODIFY without NewImage',
      (r) => withBody(r, { NewImage: undefined }),
      ErrorCodes.replicator.malformedRecord,
    ],
    [
      'a MODIFY without OldImage',
      (r) => withBody(r, { OldImage: undefined }),
      ErrorCodes.replicator.malformedRecord,
    ],
    [
      'a REMOVE without OldImage',
      (r) => ({ ...withBody(r, { OldImage: undefined, NewImage: undefined }), eventName: 'REMOVE' }),
      ErrorCodes.replicator.malformedRecord,
    ],
    [
      'a KEYS_ONLY stream',
      (r) => withBody(r, { StreamViewType: 'KEYS_ONLY', NewImage: undefined, OldImage: undefined }),
      ErrorCodes.replicator.unsupportedStreamViewType,
    ],
    [
      'a NEW_IMAGE stream',
      (r) => withBody(r, { StreamViewType: 'NEW_IMAGE', OldImage: undefined }),
      ErrorCodes.replicator.unsupportedStreamViewType,
    ],
    ['an unknown eventName', (r) => ({ ...r, eventName: 'UPSERT' }), ErrorCodes.replicator.malformedRecord],
    ['no eventName', (r) => ({ ...r, eventName: undefined }), ErrorCodes.replicator.malformedRecord],
    [
      'no SequenceNumber',
      (r) => withBody(r, { SequenceNumber: undefined }),
      ErrorCodes.replicator.malformedRecord,
    ],
    [
      'a SequenceNumber with letters',
      (r) => withBody(r, { SequenceNumber: '12ab' }),
      ErrorCodes.replicator.malformedRecord,
    ],
    [
      'no ApproximateCreationDateTime',
      (r) => withBody(r, { ApproximateCreationDateTime: undefined }),
      ErrorCodes.replicator.malformedRecord,
    ],
    [
      'a negative ApproximateCreationDateTime',
      (r) => withBody(r, { ApproximateCreationDateTime: -1 }),
      ErrorCodes.replicator.malformedRecord,
    ],
    ['no dynamodb section', (r) => ({ ...r, dynamodb: undefined }), ErrorCodes.replicator.malformedRecord],
    [
      'an invalid AttributeValue in NewImage',
      (r) => withBody(r, { NewImage: { pk: { S: 'k1' }, n: { N: 'abc' } } }),
      ErrorCodes.replicator.malformedRecord,
    ],
    [
      'an invalid AttributeValue in Keys',
      (r) => withBody(r, { Keys: { pk: { S: 1 } } }),
      ErrorCodes.replicator.malformedRecord,
    ],
  ])('rejects a record with %s, naming its index', (_name, edit, code) => {
    // Prepare
    const record = edit(
      streamRecord({ oldImage: { pk: { S: 'k1' } }, newImage: { pk: { S: 'k1' }, a: { S: 'x' } } }),
    );

    // Act
    const error = failure(() => decodeRecord(record, 7));

    // Assess
    expect(error.code).toBe(code);
    expect(error.payload.index).toBe(7);
  });

  it('names the attribute path and the sequence number of an invalid value', () => {
    const record = streamRecord({
      newImage: { pk: { S: 'k1' }, m: { M: { ns: { NS: ['1', '1.0'] } } } },
      sequenceNumber: '4242',
    });

    const error = failure(() => decodeRecord(record, 2));

    expect(error.code).toBe(ErrorCodes.replicator.malformedRecord);
    expect(error.payload).toMatchObject({ index: 2, sequenceNumber: '4242', path: 'NewImage.m.ns' });
    expect((error.cause as DynasyncError).code).toBe(ErrorCodes.codec.duplicateSetMember);
  });

  it.each([null, 'text', 42])('rejects %j as not a record', (value) => {
    const error = failure(() => decodeRecord(value as unknown as StreamRecord, 1));

    expect(error.code).toBe(ErrorCodes.replicator.malformedRecord);
    expect(error.payload.index).toBe(1);
  });

  it('describes a record by position and sequence number only', () => {
    expect(describeRecord(streamRecord({ sequenceNumber: '99', newImage: { pk: { S: 'secret' } } }), 4)).toBe(
      'record #4 (sequence 99)',
    );
  });
});
