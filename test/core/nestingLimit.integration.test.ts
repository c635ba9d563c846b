import { CreateTableCommand, DeleteTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DEPTH } from '../../core/codec.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { WireAttributeValue } from '../../core/types.js';
import { decodeRecord } from '../../replicator/decodeRecord.js';
import { localClient, uniqueTableName } from '../helpers/dynamo.js';
import { streamRecord } from '../helpers/factories.js';

/** `levels` maps (or lists) nested inside each other around a string. */
const nested = (levels: number, container: 'M' | 'L'): WireAttributeValue => {
  let value: WireAttributeValue = { S: 'leaf' };
  for (let level = 0; level < levels; level += 1)
    value = container === 'M' ? { M: { a: value } } : { L: [value] };
  return value;
};

const client = localClient(0);
const table = uniqueTableName('depth');

// The codec's nesting limit is DynamoDB's: the deepest item the codec accepts is one DynamoDB accepts,
// and one level more is refused by both (DynamoDB at the peer, the codec already at decode time).
describe('nesting limit against DynamoDB Local', () => {
  beforeAll(async () => {
    // No stream: nothing reads one here.
    await client.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: table }));
    client.destroy();
  });

  it.each(['M', 'L'] as const)(
    '%s: DynamoDB accepts the deepest item the codec accepts',
    async (container) => {
      // Prepare
      const deepest = streamRecord({
        newImage: { pk: { S: `ok-${container}` }, deep: nested(MAX_DEPTH, container) },
      });

      // Act
      const decoded = decodeRecord(deepest, 0);
      const put = client.send(
        new PutItemCommand({ TableName: table, Item: deepest.dynamodb!.NewImage as never }),
      );

      // Assess
      expect(decoded.newImage).toBeDefined();
      await expect(put).resolves.toBeDefined();
    },
  );

  it.each(['M', 'L'] as const)(
    '%s: one level deeper is rejected by DynamoDB and by the codec, naming record and path',
    async (container) => {
      // Prepare
      const tooDeep = streamRecord({
        newImage: { pk: { S: `deep-${container}` }, deep: nested(MAX_DEPTH + 1, container) },
      });

      // Act
      const put = client.send(
        new PutItemCommand({ TableName: table, Item: tooDeep.dynamodb!.NewImage as never }),
      );
      let error: unknown;
      try {
        decodeRecord(tooDeep, 3);
      } catch (caught) {
        error = caught;
      }

      // Assess
      await expect(put).rejects.toMatchObject({ name: 'ValidationException' });
      expect(error).toBeInstanceOf(DynasyncError);
      const failure = error as DynasyncError;
      expect(failure.code).toBe(ErrorCodes.replicator.malformedRecord);
      expect(failure.payload).toMatchObject({ index: 3, sequenceNumber: tooDeep.dynamodb!.SequenceNumber });
      const step = container === 'M' ? '.a' : '[0]';
      expect(failure.payload.path).toBe(`NewImage.deep${step.repeat(MAX_DEPTH)}`);
      expect(failure.message).toContain(`record #3 (sequence ${tooDeep.dynamodb!.SequenceNumber})`);
    },
  );
});
