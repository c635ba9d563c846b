import type { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { metadataNamesFor } from '../../../core/config/topology.js';
import type { Item } from '../../../core/types.js';
import { AdaptiveConcurrency } from '../../../tools/backfill/_internals/AdaptiveConcurrency.js';
import {
  type WriteCounts,
  type WriteTarget,
  writeBatches,
} from '../../../tools/backfill/_internals/writeItems.js';
import type { BackfillWrite } from '../../../tools/backfill/planBackfill.js';
import { TokenBucket } from '../../../tools/verify/_internals/TokenBucket.js';
import { DEFAULT_RETRY } from '../../../tools/verify/_internals/withRetries.js';

const TABLE = 'target-table';

const puts = (count: number): BackfillWrite[] =>
  Array.from({ length: count }, (_, i) => ({
    type: 'put',
    action: 'put',
    item: { pk: { S: `k${i}` }, n: { N: String(i) } } satisfies Item,
    version: '0',
    condition: { type: 'notNewer' },
  }));

/** A client that accepts every batch and reports 1 unit per item when asked for capacity. */
const acceptingClient = () => {
  const inputs: Array<BatchWriteItemCommand['input']> = [];
  const client = {
    send: async (command: BatchWriteItemCommand) => {
      inputs.push(command.input);
      const requests = command.input.RequestItems?.[TABLE] ?? [];
      return {
        UnprocessedItems: {},
        ...(command.input.ReturnConsumedCapacity === 'TOTAL'
          ? { ConsumedCapacity: [{ TableName: TABLE, CapacityUnits: requests.length * 2 }] }
          : {}),
      };
    },
  } as unknown as DynamoDBClient;
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
    expect(inputs.map((input) => input.RequestItems?.[TABLE]?.length)).toEqual([25, 25, 10]);
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
});
