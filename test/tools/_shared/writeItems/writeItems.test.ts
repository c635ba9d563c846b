import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { metadataNamesFor } from '../../../../core/config/topology.js';
import type { Item } from '../../../../core/types.js';
import { TokenBucket } from '../../../../tools/_shared/TokenBucket.js';
import { DEFAULT_RETRY } from '../../../../tools/_shared/withRetries.js';
import { AdaptiveConcurrency } from '../../../../tools/_shared/writeItems/AdaptiveConcurrency.js';
import { batchWriteBody } from '../../../../tools/_shared/writeItems/batchWriteBody.js';
import type { BackfillWrite } from '../../../../tools/_shared/writeItems/writeItems.js';
import {
  type WriteCounts,
  type WriteTarget,
  writeBatches,
} from '../../../../tools/_shared/writeItems/writeItems.js';

const TABLE = 'target-table';

const puts = (count: number): BackfillWrite[] =>
  Array.from({ length: count }, (_, i) => ({
    type: 'put',
    action: 'put',
    item: { pk: { S: `k${i}` }, n: { N: String(i) } } satisfies Item,
    version: '0',
    condition: { type: 'notNewer' },
  }));

/**
 * A real SDK client whose HTTP handler answers from memory: it records each request's body as sent and
 * accepts every batch, reporting 2 units per item when asked for capacity.
 */
const acceptingClient = (unprocessedFirst = 0) => {
  let unprocessedLeft = unprocessedFirst;
  const inputs: Array<{ RequestItems: Record<string, unknown[]>; ReturnConsumedCapacity?: string }> = [];
  const requestHandler = {
    handle: async (request: { body?: unknown }) => {
      const input = JSON.parse(String(request.body)) as (typeof inputs)[number];
      inputs.push(input);
      const requests = input.RequestItems[TABLE] ?? [];
      const unprocessed = requests.slice(0, unprocessedLeft);
      unprocessedLeft = 0;
      const body = {
        UnprocessedItems: unprocessed.length === 0 ? {} : { [TABLE]: unprocessed },
        ...(input.ReturnConsumedCapacity === 'TOTAL'
          ? { ConsumedCapacity: [{ TableName: TABLE, CapacityUnits: requests.length * 2 }] }
          : {}),
      };
      return {
        response: {
          statusCode: 200,
          headers: { 'content-type': 'application/x-amz-json-1.0' },
          body: Buffer.from(JSON.stringify(body)),
        },
      };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
  const client = new DynamoDBClient({
    region: 'local',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: requestHandler as never,
  });
  return { client, inputs };
};

const targetOf = (client: DynamoDBClient, limiter?: TokenBucket): WriteTarget => ({
  client,
  tableName: TABLE,
  names: metadataNamesFor('_ds_'),
  targetKeyNames: ['pk'],
  slots: new AdaptiveConcurrency(8),
  ...(limiter === undefined ? {} : { limiter }),
  retry: DEFAULT_RETRY,
});

const zero = (): WriteCounts => ({ written: 0, stale: 0, failed: 0, throttles: 0, consumedUnits: 0 });

describe('writeBatches', () => {
  it('without a write limit, does not ask for ConsumedCapacity and estimates the units from item sizes', async () => {
    // Prepare
    const { client, inputs } = acceptingClient();
    const counts = zero();
    // Act
    await writeBatches(puts(60), targetOf(client), counts);
    // Assess
    expect(inputs.map((input) => input.RequestItems[TABLE]?.length)).toEqual([25, 25, 10]);
    // The body sent holds the items in their exact wire form.
    expect(inputs[2]!.RequestItems[TABLE]![9]).toEqual({
      PutRequest: { Item: { pk: { S: 'k59' }, n: { N: '59' } } },
    });
    for (const input of inputs) expect(input.ReturnConsumedCapacity).toBeUndefined();
    expect(counts).toMatchObject({ written: 60, failed: 0, consumedUnits: 60, estimatedUnits: true });
  });

  it('with a write limit, asks for ConsumedCapacity and counts what DynamoDB reports', async () => {
    // Prepare
    const { client, inputs } = acceptingClient();
    const counts = zero();
    // Act
    await writeBatches(puts(30), targetOf(client, new TokenBucket({ ratePerSecond: 1_000_000 })), counts);
    // Assess
    for (const input of inputs) expect(input.ReturnConsumedCapacity).toBe('TOTAL');
    expect(counts).toMatchObject({ written: 30, consumedUnits: 60 });
    expect(counts.estimatedUnits).toBeUndefined();
  });
  it('resends unprocessed items in their exact wire form, binary included', async () => {
    // Prepare: the first request leaves 3 items unprocessed.
    const { client, inputs } = acceptingClient(3);
    const writes = puts(5).map((write, i) => ({
      ...write,
      item: { ...write.item, b: { B: new Uint8Array([i, 255]) } },
    }));
    const counts = zero();
    const target = { ...targetOf(client), retry: { ...DEFAULT_RETRY, sleep: async () => undefined } };
    // Act
    await writeBatches(writes, target, counts);
    // Assess
    expect(inputs).toHaveLength(2);
    expect(inputs[1]!.RequestItems[TABLE]).toEqual(inputs[0]!.RequestItems[TABLE]!.slice(0, 3));
    expect(inputs[1]!.RequestItems[TABLE]![2]).toEqual({
      PutRequest: {
        Item: { pk: { S: 'k2' }, n: { N: '2' }, b: { B: Buffer.from([2, 255]).toString('base64') } },
      },
    });
    expect(counts).toMatchObject({ written: 5, throttles: 1, failed: 0 });
  });
});

describe('batchWriteBody', () => {
  it('is the JSON the SDK would send for puts into one table', () => {
    // Prepare
    const items = [
      { pk: { S: 'a"b' }, n: { N: '1.50' } },
      { pk: { S: 'c' }, b: { B: 'AQI=' } },
    ];
    // Act
    const body = batchWriteBody(
      'my.table',
      items.map((item) => JSON.stringify(item)),
      true,
    );
    // Assess
    expect(JSON.parse(body)).toEqual({
      RequestItems: { 'my.table': items.map((item) => ({ PutRequest: { Item: item } })) },
      ReturnConsumedCapacity: 'TOTAL',
    });
    expect(JSON.parse(batchWriteBody('t', [], false))).toEqual({ RequestItems: { t: [] } });
  });
});
