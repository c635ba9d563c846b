import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/index.js';
import { ErrorCodes } from '../../core/errors.js';
import { foreignRecordError, sourceTableOf } from '../../replicator/checkSource.js';
import { SOURCE_ACCOUNT_ENV, sourceAccountFromEnv } from '../../replicator/handler.js';
import type { StreamRecord } from '../../replicator/types.js';
import { streamRecord } from '../helpers/factories.js';
import { dynasyncErrorOf } from '../helpers/laws.js';

const arn = (region: string, account: string, table: string) =>
  `arn:aws:dynamodb:${region}:${account}:table/${table}/stream/2024-01-01T00:00:00.000`;
const withArn = (eventSourceARN: string | undefined): StreamRecord => {
  const { eventSourceARN: _, ...record } = streamRecord({ newImage: { pk: { S: 'k' } } });
  return eventSourceARN === undefined ? record : { ...record, eventSourceARN };
};
const source = { table: 'Orders', awsRegion: 'eu-west-1', account: '123456789012' };

describe('foreignRecordError', () => {
  it('accepts a record of the source stream, and one without an ARN', () => {
    expect(
      foreignRecordError(withArn(arn('eu-west-1', '123456789012', 'Orders')), 0, source),
    ).toBeUndefined();
    expect(foreignRecordError(withArn(undefined), 0, source)).toBeUndefined();
  });

  it.each([
    ['another table', arn('eu-west-1', '123456789012', 'Invoices'), 'table Invoices'],
    ['another region', arn('us-east-1', '123456789012', 'Orders'), 'region us-east-1'],
    ['another account', arn('eu-west-1', '999999999999', 'Orders'), 'account 999999999999'],
    [
      'a table whose name only starts alike',
      arn('eu-west-1', '123456789012', 'Orders-old'),
      'table Orders-old',
    ],
    [
      'an ARN that is not a stream ARN',
      'arn:aws:sqs:eu-west-1:123456789012:queue',
      'not a DynamoDB stream ARN',
    ],
  ])('rejects a record of %s with replicator.foreignRecord', (_case, eventSourceARN, reason) => {
    const record = withArn(eventSourceARN);

    const error = foreignRecordError(record, 7, source);

    expect(error?.code).toBe(ErrorCodes.replicator.foreignRecord);
    expect(error?.payload).toMatchObject({ index: 7, sequenceNumber: record.dynamodb!.SequenceNumber });
    expect(error?.message).toContain(reason);
  });

  it('checks only table and region when the account is unknown', () => {
    const noAccount = { table: 'Orders', awsRegion: 'eu-west-1' };

    expect(
      foreignRecordError(withArn(arn('eu-west-1', '999999999999', 'Orders')), 0, noAccount),
    ).toBeUndefined();
    expect(foreignRecordError(withArn(arn('us-east-1', '999999999999', 'Orders')), 0, noAccount)?.code).toBe(
      ErrorCodes.replicator.foreignRecord,
    );
  });
});

describe('sourceTableOf', () => {
  const config = parseConfig({
    version: 1,
    name: 'orders',
    regions: {
      'eu-west-1': { table: 'Orders' },
      'us-east-1': { table: 'OrdersUS', endpoint: 'http://127.0.0.1:8000' },
      emea: { table: 'Orders', awsRegion: 'eu-central-1' },
    },
    topology: { type: 'active-active' },
  });

  it('takes the table and AWS region from the config, the account when known', () => {
    expect(sourceTableOf(config, 'eu-west-1', '123456789012')).toStrictEqual(source);
    expect(sourceTableOf(config, 'emea')).toStrictEqual({ table: 'Orders', awsRegion: 'eu-central-1' });
  });

  it('does not check the region against a custom endpoint (DynamoDB Local names its own region)', () => {
    const local = sourceTableOf(config, 'us-east-1');
    const ddbLocal = withArn(arn('ddblocal', '000000000000', 'OrdersUS'));

    expect(local).toStrictEqual({ table: 'OrdersUS' });
    expect(foreignRecordError(ddbLocal, 0, local)).toBeUndefined();
  });
});

describe('sourceAccountFromEnv', () => {
  it('reads a 12-digit account, and nothing when unset', () => {
    expect(sourceAccountFromEnv({ [SOURCE_ACCOUNT_ENV]: '123456789012' })).toBe('123456789012');
    expect(sourceAccountFromEnv({})).toBeUndefined();
  });

  it('rejects anything else at start-up with config.invalidField naming the variable', () => {
    const error = dynasyncErrorOf(() => sourceAccountFromEnv({ [SOURCE_ACCOUNT_ENV]: '1234' }));

    expect(error.code).toBe(ErrorCodes.config.invalidField);
    expect(error.payload.path).toBe(SOURCE_ACCOUNT_ENV);
  });
});
