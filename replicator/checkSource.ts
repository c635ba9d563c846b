import type { Config } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import { sequenceNumberOf } from './decodeRecord.js';
import type { StreamRecord } from './types.js';

/**
 * The table whose stream a replicator reads. A record from any other table's stream — another
 * table, region or account — is refused (`replicator.foreignRecord`), never applied.
 */
export interface SourceTable {
  /** The source table's name. */
  readonly table: string;
  /** The AWS region of the table. @default not checked (a custom endpoint such as DynamoDB Local names its own region) */
  readonly awsRegion?: string;
  /** The AWS account id of the table. @default not checked (unknown) */
  readonly account?: string;
}

// arn:<partition>:dynamodb:<region>:<account>:table/<table>/stream/<label>
const STREAM_ARN = /^arn:[a-z][a-z0-9-]*:dynamodb:([a-z0-9-]*):(\d*):table\/([^/]+)\/stream\/[^/]+$/;

/**
 * The error of a record whose `eventSourceARN` is not a stream of `source`; `undefined` when it is,
 * or when the record carries no ARN (records built by a poller that knows its stream).
 *
 * The ARN names no item values, so the message may say what differs.
 */
export const foreignRecordError = (
  record: unknown,
  index: number,
  source: SourceTable,
): DynasyncError | undefined => {
  if (typeof record !== 'object' || record === null) return undefined;
  const arn = (record as StreamRecord).eventSourceARN;
  if (arn === undefined) return undefined;
  const sequenceNumber = sequenceNumberOf(record);
  const fail = (reason: string): DynasyncError =>
    new DynasyncError(
      ErrorCodes.replicator.foreignRecord,
      `record #${index} (sequence ${sequenceNumber ?? 'unknown'}): ${reason}; this replicator reads only the stream of table ${source.table}` +
        `${source.awsRegion === undefined ? '' : ` in ${source.awsRegion}`}${source.account === undefined ? '' : ` of account ${source.account}`}` +
        ': check the event source mapping',
      {
        payload: { index, sequenceNumber, eventSourceARN: typeof arn === 'string' ? arn : undefined, reason },
      },
    );
  const match = typeof arn === 'string' ? STREAM_ARN.exec(arn) : null;
  if (match === null) return fail('eventSourceARN is not a DynamoDB stream ARN');
  const [, region, account, table] = match;
  if (table !== source.table) return fail(`it comes from the stream of table ${table}`);
  if (source.awsRegion !== undefined && region !== source.awsRegion)
    return fail(`it comes from region ${region}`);
  if (source.account !== undefined && account !== source.account)
    return fail(`it comes from account ${account}`);
  return undefined;
};

/**
 * The source table of `region` as the config names it. Its AWS region is checked only when the
 * region has no custom `endpoint` (DynamoDB Local's stream ARNs name a region of their own); the
 * account only when it is known.
 * @example
 * sourceTableOf(config, 'eu-west-1', '123456789012') // { table: 'Orders', awsRegion: 'eu-west-1', account: '123456789012' }
 */
export const sourceTableOf = (config: Config, region: string, account?: string): SourceTable => {
  const settings = config.regions[region];
  if (settings === undefined) throw new Error(`sourceTableOf: region "${region}" is not in the config`);
  return {
    table: settings.table,
    ...(settings.endpoint === undefined ? { awsRegion: settings.awsRegion ?? region } : {}),
    ...(account === undefined ? {} : { account }),
  };
};
