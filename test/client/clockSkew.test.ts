import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynasyncClient, DynasyncMergeClient } from '../../client/index.js';
import { HybridLogicalClock } from '../../conflict/HybridLogicalClock.js';
import { encodeVersion } from '../../conflict/version.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { awsError } from '../helpers/factories.js';

/** The DynasyncError an async call rejects with; fails the test when it resolves or rejects otherwise. */
const dynasyncErrorOfAsync = async (run: () => Promise<unknown>): Promise<DynasyncError> => {
  try {
    await run();
  } catch (error) {
    if (error instanceof DynasyncError) return error;
    throw error;
  }
  throw new Error('expected a DynasyncError, but the call resolved');
};

const NOW = 1_764_579_600_000;
const YEAR = 365 * 86_400_000;
const farAhead = encodeVersion({ physicalMs: NOW + 4 * YEAR, logical: 0, origin: 'us-east-1' });

/** A DynamoDB client that records the commands it gets and answers with `answer`. */
const fakeClient = (answer: (command: { constructor: { name: string } }) => unknown) => {
  const sent: string[] = [];
  const client = {
    send: async (command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      const result = answer(command);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as DynamoDBClient;
  return { client, sent };
};

const put = { TableName: 'Orders', Item: { pk: { S: 'k1' } } };

describe('DynasyncClient: no versions past the clock skew allowance', () => {
  it('refuses to stamp when its clock runs far ahead of the wall clock, and sends nothing', async () => {
    // Prepare: the shared clock was pushed years ahead; the wall clock is NOW.
    const { client, sent } = fakeClient(() => ({}));
    const clock = new HybridLogicalClock('eu-west-1', () => NOW + 4 * YEAR);
    const ds = new DynasyncClient({ client, region: 'eu-west-1', clock, now: () => NOW });

    // Act
    const error = await dynasyncErrorOfAsync(() => ds.put(put));

    // Assess
    expect(error.code).toBe(ErrorCodes.client.versionFromFuture);
    expect(error.payload).toMatchObject({ what: 'stamp', maxClockSkewMs: 300_000 });
    expect(sent).toStrictEqual([]);
  });

  it('refuses to follow a stored far-future version instead of stamping past it', async () => {
    // Prepare: the stored item carries a version four years ahead.
    const stored = Object.assign(awsError('ConditionalCheckFailedException', { status: 400 }), {
      Item: { pk: { S: 'k1' }, _ds_v: { S: farAhead } },
    });
    const { client, sent } = fakeClient(() => stored);
    const ds = new DynasyncClient({ client, region: 'eu-west-1', now: () => NOW });

    // Act
    const error = await dynasyncErrorOfAsync(() => ds.put(put));

    // Assess
    expect(error.code).toBe(ErrorCodes.client.versionFromFuture);
    expect(error.payload).toMatchObject({ what: 'stored' });
    expect(sent).toStrictEqual(['PutItemCommand']);
  });

  it('still stamps past a stored version within the allowance', async () => {
    const near = encodeVersion({ physicalMs: NOW + 60_000, logical: 0, origin: 'us-east-1' });
    let calls = 0;
    const { client } = fakeClient(() => {
      calls += 1;
      return calls === 1
        ? Object.assign(awsError('ConditionalCheckFailedException', { status: 400 }), {
            Item: { pk: { S: 'k1' }, _ds_v: { S: near } },
          })
        : {};
    });
    const ds = new DynasyncClient({ client, region: 'eu-west-1', now: () => NOW, maxClockSkewMs: 120_000 });

    await expect(ds.put(put)).resolves.toStrictEqual({});
    expect(calls).toBe(2);
  });
});

describe('DynasyncMergeClient: no versions past the clock skew allowance', () => {
  it('refuses to write over a stored far-future version, and writes nothing', async () => {
    const { client, sent } = fakeClient((command) =>
      command.constructor.name === 'GetItemCommand'
        ? { Item: { pk: { S: 'k1' }, _ds_v: { S: farAhead } } }
        : {},
    );
    const ds = new DynasyncMergeClient({ client, region: 'eu-west-1', now: () => NOW });

    const error = await dynasyncErrorOfAsync(() =>
      ds.update({ TableName: 'Orders', Key: { pk: { S: 'k1' } }, set: { a: { S: 'x' } } }),
    );

    expect(error.code).toBe(ErrorCodes.client.versionFromFuture);
    expect(sent).toStrictEqual(['GetItemCommand']);
  });
});
