import type { _Record, AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb-streams';
import type { WireAttributeValue, WireItem } from '../../core/types.js';
import type { StreamRecord } from '../types.js';

/** Where a record was read from, for the fields GetRecords does not carry. */
export interface RecordSource {
  /** ARN of the stream the record was read from; becomes `eventSourceARN`. */
  readonly streamArn: string;
  /** Region name used when the record has no `awsRegion`. */
  readonly awsRegion: string;
}

const base64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/**
 * Converts one SDK AttributeValue to its JSON wire form without validating it: binary becomes
 * base64 text, numbers stay the exact decimal strings DynamoDB sent. Anything unexpected is passed
 * through unchanged so that `decodeRecord` rejects the record (dead letter) instead of the poller
 * failing the whole batch.
 */
const toWireValue = (value: SdkAttributeValue): WireAttributeValue => {
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: toWireItem(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toWireValue) };
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.SS !== undefined) return { SS: [...value.SS] };
  if (value.NS !== undefined) return { NS: [...value.NS] };
  if (value.NULL !== undefined) return { NULL: value.NULL } as WireAttributeValue;
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  return { ...value } as unknown as WireAttributeValue;
};

const toWireItem = (item: Record<string, SdkAttributeValue>): WireItem => {
  const wire: WireItem = {};
  for (const [name, value] of Object.entries(item)) wire[name] = toWireValue(value);
  return wire;
};

/**
 * Converts a record returned by the DynamoDB Streams `GetRecords` API (SDK shape: binary as
 * `Uint8Array`, `ApproximateCreationDateTime` as a `Date`) to the shape Lambda delivers, so that
 * `dynasync run` and the Lambda feed the replicator the very same records.
 *
 * - Binary becomes base64 text; numbers are never parsed (a 38-digit number stays exact).
 * - `ApproximateCreationDateTime` becomes epoch **seconds** with the milliseconds kept as a
 *   fraction (`date.getTime() / 1000`), so replication lag is exact to the millisecond.
 * - `userIdentity` `{ Type, PrincipalId }` becomes `{ type, principalId }` (TTL deletes keep
 *   their `Service` / `dynamodb.amazonaws.com` identity).
 *
 * @example
 * const { Records = [] } = await streams.send(new GetRecordsCommand({ ShardIterator, Limit: 100 }));
 * await replicator.process(Records.map((record) => toLambdaRecord(record, { streamArn, awsRegion: 'eu-west-1' })), deadline);
 */
export const toLambdaRecord = (record: _Record, source: RecordSource): StreamRecord => {
  const body = record.dynamodb;
  const identity = record.userIdentity;
  return {
    ...(record.eventID === undefined ? {} : { eventID: record.eventID }),
    ...(record.eventName === undefined ? {} : { eventName: record.eventName }),
    eventSource: record.eventSource ?? 'aws:dynamodb',
    eventSourceARN: source.streamArn,
    awsRegion: record.awsRegion ?? source.awsRegion,
    ...(identity === undefined
      ? {}
      : {
          userIdentity: {
            ...(identity.Type === undefined ? {} : { type: identity.Type }),
            ...(identity.PrincipalId === undefined ? {} : { principalId: identity.PrincipalId }),
          },
        }),
    ...(body === undefined
      ? {}
      : {
          dynamodb: {
            ...(body.ApproximateCreationDateTime === undefined
              ? {}
              : { ApproximateCreationDateTime: body.ApproximateCreationDateTime.getTime() / 1000 }),
            ...(body.Keys === undefined ? {} : { Keys: toWireItem(body.Keys) }),
            ...(body.NewImage === undefined ? {} : { NewImage: toWireItem(body.NewImage) }),
            ...(body.OldImage === undefined ? {} : { OldImage: toWireItem(body.OldImage) }),
            ...(body.SequenceNumber === undefined ? {} : { SequenceNumber: body.SequenceNumber }),
            ...(body.SizeBytes === undefined ? {} : { SizeBytes: body.SizeBytes }),
            ...(body.StreamViewType === undefined ? {} : { StreamViewType: body.StreamViewType }),
          },
        }),
  };
};
