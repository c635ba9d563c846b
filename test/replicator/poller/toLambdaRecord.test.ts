import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../../replicator/decodeRecord.js';
import { toLambdaRecord } from '../../../replicator/poller/toLambdaRecord.js';

const STREAM_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2024-05-01T00:00:00.000';
const BIG = '12345678901234567890123456789012345678';
const TINY = '-0.000000000000000000000000000000000000012345678901234567890123456789012345678';

/** A `GetRecords` record as the SDK returns it (binary as bytes, time as a Date). */
const sdkRecord = (overrides: Partial<_Record> = {}): _Record => ({
  eventID: 'e-1',
  eventName: 'MODIFY',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'eu-west-1',
  dynamodb: {
    ApproximateCreationDateTime: new Date(1_714_521_600_123),
    Keys: { pk: { B: new Uint8Array([0, 1, 254, 255]) } },
    OldImage: { pk: { B: new Uint8Array([0, 1, 254, 255]) }, n: { N: '1' } },
    NewImage: {
      pk: { B: new Uint8Array([0, 1, 254, 255]) },
      n: { N: BIG },
      tiny: { N: TINY },
      ns: { NS: [BIG, '1.50'] },
      bs: { BS: [new Uint8Array([1]), new Uint8Array([])] },
      nested: {
        M: {
          list: { L: [{ NULL: true }, { BOOL: false }, { SS: ['a', 'b'] }, { B: new Uint8Array([9, 8]) }] },
        },
      },
    },
    SequenceNumber: '4100000000000012345678901',
    SizeBytes: 321,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
  ...overrides,
});

describe('toLambdaRecord', () => {
  it('keeps 38-digit numbers and binary exactly, as Lambda would deliver them', () => {
    // Act
    const record = toLambdaRecord(sdkRecord(), { streamArn: STREAM_ARN, awsRegion: 'eu-west-1' });

    // Assess
    expect(record).toEqual({
      eventID: 'e-1',
      eventName: 'MODIFY',
      eventSource: 'aws:dynamodb',
      eventSourceARN: STREAM_ARN,
      awsRegion: 'eu-west-1',
      dynamodb: {
        ApproximateCreationDateTime: 1_714_521_600.123,
        Keys: { pk: { B: 'AAH+/w==' } },
        OldImage: { pk: { B: 'AAH+/w==' }, n: { N: '1' } },
        NewImage: {
          pk: { B: 'AAH+/w==' },
          n: { N: BIG },
          tiny: { N: TINY },
          ns: { NS: [BIG, '1.50'] },
          bs: { BS: ['AQ==', ''] },
          nested: {
            M: { list: { L: [{ NULL: true }, { BOOL: false }, { SS: ['a', 'b'] }, { B: 'CQg=' }] } },
          },
        },
        SequenceNumber: '4100000000000012345678901',
        SizeBytes: 321,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    const decoded = decodeRecord(record, 0);
    expect(decoded.newImage?.n).toEqual({ N: BIG });
    expect(decoded.keys.pk).toEqual({ B: new Uint8Array([0, 1, 254, 255]) });
    expect(decoded.createdAtMs).toBe(1_714_521_600_123);
  });

  it('maps the TTL identity so the replicator recognises TTL deletes, and fills the region when absent', () => {
    // Prepare
    const input = sdkRecord({
      eventName: 'REMOVE',
      awsRegion: undefined,
      userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
    });

    // Act
    const record = toLambdaRecord(input, { streamArn: STREAM_ARN, awsRegion: 'eu-central-1' });

    // Assess
    expect(record.userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    expect(record.awsRegion).toBe('eu-central-1');
    expect(decodeRecord(record, 0).byTtl).toBe(true);
  });

  it('passes an unknown attribute type through so the replicator dead-letters the record instead of failing the batch', () => {
    // Prepare
    const input = sdkRecord({
      dynamodb: { ...sdkRecord().dynamodb, NewImage: { pk: { $unknown: ['X', 1] } as never } },
    });

    // Act
    const record = toLambdaRecord(input, { streamArn: STREAM_ARN, awsRegion: 'eu-west-1' });

    // Assess
    expect(() => decodeRecord(record, 0)).toThrow(
      expect.objectContaining({ code: 'replicator.malformedRecord' }),
    );
  });
});
