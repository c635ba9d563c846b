import { describe, expect, it } from 'vitest';
import { buildPutInput } from '../../replicator/buildPutInput.js';
import { planBatch } from '../../replicator/planBatch.js';
import {
  evaluateCondition,
  names,
  planContext,
  stamped,
  streamRecord,
  version,
} from '../helpers/factories.js';

const changeAt = (at: number) =>
  planBatch(
    [streamRecord({ newImage: stamped({ pk: { S: 'k1' }, n: { N: '1.50' } }, version(at)) })],
    planContext(),
  ).writes[0]!.change;

describe('buildPutInput', () => {
  it('builds the one conditional LWW put', () => {
    // Prepare
    const change = changeAt(1000);

    // Act
    const input = buildPutInput('Orders', change, names);

    // Assess
    expect(input).toStrictEqual({
      TableName: 'Orders',
      Item: change.item,
      ConditionExpression: 'attribute_not_exists(#v) OR #v < :v',
      ExpressionAttributeNames: { '#v': '_ds_v' },
      ExpressionAttributeValues: { ':v': { S: change.versionText } },
    });
    expect(input.Item?.n).toStrictEqual({ N: '1.50' });
  });

  it.each([
    ['no item', undefined, true],
    ['an unstamped item', { pk: { S: 'k1' } }, true],
    ['an older version', { pk: { S: 'k1' }, _ds_v: { S: changeAt(999).versionText } }, true],
    ['the same version (a duplicate)', { pk: { S: 'k1' }, _ds_v: { S: changeAt(1000).versionText } }, false],
    ['a newer version', { pk: { S: 'k1' }, _ds_v: { S: changeAt(1001).versionText } }, false],
  ])('its condition holds over %s: %s', (_name, stored, holds) => {
    expect(evaluateCondition(buildPutInput('Orders', changeAt(1000), names), stored)).toBe(holds);
  });
});
