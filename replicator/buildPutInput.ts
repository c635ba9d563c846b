import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { MetadataNames } from '../core/config/topology.js';
import type { Change } from './types.js';

/**
 * The one conditional write of last-writer-wins, as the exact SDK input. Pure: building a request
 * is separate from sending it.
 *
 * The condition holds when the target has no version (no item, or an unstamped one) or an older
 * version. Versions are fixed-width text whose byte order is the version order, so `<` compares them:
 *
 * ```
 * target v=…0005.000000.eu   incoming v=…0007.000000.us   → written (applied)
 * target v=…0007.000000.us   incoming v=…0007.000000.us   → ConditionalCheckFailed (stale, duplicate)
 * target v=…0009.000001.eu   incoming v=…0007.000000.us   → ConditionalCheckFailed (stale, out of order)
 * ```
 */
export const buildPutInput = (
  tableName: string,
  change: Change,
  names: MetadataNames,
): PutItemCommandInput => ({
  TableName: tableName,
  Item: change.item as PutItemCommandInput['Item'],
  ConditionExpression: 'attribute_not_exists(#v) OR #v < :v',
  ExpressionAttributeNames: { '#v': names.version },
  ExpressionAttributeValues: { ':v': { S: change.versionText } },
});
