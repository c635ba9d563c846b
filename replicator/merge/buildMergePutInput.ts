import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { MergeNames } from '../../conflict/merge/types.js';
import type { Item } from '../../core/types.js';
import type { Expectation } from './_internals/expectation.js';

/**
 * The conditional put of the merge strategy: written only if the stored item is still the one the
 * decision was made on (same vector clock; an item without one: same version, or no item).
 */
export const buildMergePutInput = (
  tableName: string,
  item: Item,
  expected: Expectation,
  names: MergeNames,
): PutItemCommandInput => {
  const base = { TableName: tableName, Item: item as PutItemCommandInput['Item'] };
  if (expected === 'absent')
    return {
      ...base,
      ConditionExpression: 'attribute_not_exists(#vc) AND attribute_not_exists(#v)',
      ExpressionAttributeNames: { '#vc': names.clock, '#v': names.version },
    };
  if (expected.clock !== undefined)
    return {
      ...base,
      ConditionExpression: '#vc = :vc',
      ExpressionAttributeNames: { '#vc': names.clock },
      ExpressionAttributeValues: { ':vc': { S: expected.clock } },
    };
  if (expected.version !== undefined)
    return {
      ...base,
      ConditionExpression: 'attribute_not_exists(#vc) AND #v = :v',
      ExpressionAttributeNames: { '#vc': names.clock, '#v': names.version },
      ExpressionAttributeValues: { ':v': { S: expected.version } },
    };
  return {
    ...base,
    ConditionExpression: 'attribute_not_exists(#vc) AND attribute_not_exists(#v)',
    ExpressionAttributeNames: { '#vc': names.clock, '#v': names.version },
  };
};
