import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DynasyncClient } from '../../client/index.js';
import { HybridLogicalClock } from '../../conflict/HybridLogicalClock.js';
import { compareVersions, decodeVersion, encodeVersion } from '../../conflict/version.js';
import { isDynasyncError } from '../../core/errors.js';
import { createTestTable, localClient } from '../helpers/dynamo.js';

const raw = localClient(0);
afterAll(() => raw.destroy());

const versionOf = async (table: string, pk: string) => {
  const { Item } = await raw.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return Item;
};

describe('DynasyncClient on DynamoDB Local', () => {
  it('stamps puts and updates with strictly increasing versions and clears the replication marker', async () => {
    // Prepare
    const table = await createTestTable(raw);
    const ds = new DynasyncClient({ client: raw, region: 'eu-west-1' });
    await raw.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: 'a' },
          _ds_rep: { BOOL: true },
          _ds_v: { S: encodeVersion({ physicalMs: 1, logical: 0, origin: 'us-east-1' }) },
        },
      }),
    );

    // Act
    await ds.put({
      TableName: table,
      Item: { pk: { S: 'a' }, n: { N: '12345678901234567890123456789012345678' } },
    });
    const afterPut = await versionOf(table, 'a');
    await ds.update({
      TableName: table,
      Key: { pk: { S: 'a' } },
      UpdateExpression: 'SET #c = :c',
      ExpressionAttributeNames: { '#c': 'colour' },
      ExpressionAttributeValues: { ':c': { S: 'red' } },
    });
    const afterUpdate = await versionOf(table, 'a');

    // Assess
    expect(afterPut?.n).toEqual({ N: '12345678901234567890123456789012345678' });
    expect(afterPut?._ds_rep).toBeUndefined();
    expect(afterUpdate?.colour).toEqual({ S: 'red' });
    expect(afterUpdate?._ds_rep).toBeUndefined();
    const v1 = decodeVersion(afterPut?._ds_v?.S ?? '');
    const v2 = decodeVersion(afterUpdate?._ds_v?.S ?? '');
    expect(v1.origin).toBe('eu-west-1');
    expect(compareVersions(v2, v1)).toBeGreaterThan(0);
  });

  it('writes deletes as tombstones that get() hides and an update revives', async () => {
    const table = await createTestTable(raw);
    const ds = new DynasyncClient({ client: raw, region: 'eu-west-1', tombstoneRetentionDays: 2 });
    await ds.put({ TableName: table, Item: { pk: { S: 'd' }, email: { S: 'x@example.com' } } });

    await ds.delete({ TableName: table, Key: { pk: { S: 'd' } } });
    const stored = await versionOf(table, 'd');
    const seen = await ds.get({ TableName: table, Key: { pk: { S: 'd' } }, ConsistentRead: true });

    expect(stored?._ds_del).toEqual({ BOOL: true });
    expect(stored?.email).toBeUndefined();
    const version = decodeVersion(stored?._ds_v?.S ?? '');
    expect(stored?._ds_ttl).toEqual({ N: String(Math.floor(version.physicalMs / 1000) + 2 * 86_400) });
    expect(seen.Item).toBeUndefined();

    await ds.update({
      TableName: table,
      Key: { pk: { S: 'd' } },
      UpdateExpression: 'SET email = :e',
      ExpressionAttributeValues: { ':e': { S: 'y@example.com' } },
    });
    const revived = await ds.get({ TableName: table, Key: { pk: { S: 'd' } }, ConsistentRead: true });
    expect(revived.Item?.email).toEqual({ S: 'y@example.com' });
    expect(revived.Item?._ds_del).toBeUndefined();
    expect(revived.Item?._ds_ttl).toBeUndefined();
  });

  it('moves its clock past a newer stored version (a region whose clock runs ahead) and still wins', async () => {
    const table = await createTestTable(raw);
    const ahead = encodeVersion({ physicalMs: Date.now() + 60_000, logical: 7, origin: 'us-east-1' });
    await raw.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'k' }, _ds_v: { S: ahead }, _ds_rep: { BOOL: true } },
      }),
    );
    const ds = new DynasyncClient({ client: raw, region: 'eu-west-1' });

    await ds.put({ TableName: table, Item: { pk: { S: 'k' }, state: { S: 'mine' } } });

    const stored = await versionOf(table, 'k');
    expect(stored?.state).toEqual({ S: 'mine' });
    expect(compareVersions(decodeVersion(stored?._ds_v?.S ?? ''), decodeVersion(ahead))).toBeGreaterThan(0);
  });

  it("passes the application's own failed condition through unchanged", async () => {
    const table = await createTestTable(raw);
    const ds = new DynasyncClient({
      client: raw,
      region: 'eu-west-1',
      clock: new HybridLogicalClock('eu-west-1'),
    });
    await ds.put({ TableName: table, Item: { pk: { S: 'c' }, n: { N: '1' } } });

    const attempt = ds.put({
      TableName: table,
      Item: { pk: { S: 'c' }, n: { N: '2' } },
      ConditionExpression: 'attribute_not_exists(pk)',
    });

    await expect(attempt).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await expect(attempt).rejects.not.toSatisfy(isDynasyncError);
    expect((await versionOf(table, 'c'))?.n).toEqual({ N: '1' });
  });
});
