import type {
  DeleteItemCommandInput,
  PutItemCommandInput,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { encodeVersion, type Version } from '../conflict/version.js';
import type { MetadataNames } from '../core/config/topology.js';

/** Placeholders the helper adds to expressions; chosen so they cannot collide with an application's. */
const N = {
  version: '#dsync_v',
  replicated: '#dsync_rep',
  deleted: '#dsync_del',
  expires: '#dsync_ttl',
} as const;
const V = ':dsync_v';

/**
 * The clock guard added to every stamped write: it holds when the stored item has no version or an
 * older one. When it fails, the stored item came from a region whose clock runs ahead; the client
 * moves its clock past that version and writes again with a newer stamp.
 */
const GUARD = `(attribute_not_exists(${N.version}) OR ${N.version} < ${V})`;

const withGuard = (condition: string | undefined): string =>
  condition === undefined ? GUARD : `(${condition}) AND ${GUARD}`;

const names = (
  meta: MetadataNames,
  extra: Record<string, string> | undefined,
  keys: ReadonlyArray<keyof typeof N>,
) => ({
  ...extra,
  ...Object.fromEntries(keys.map((key) => [N[key], meta[key]])),
});

/** Stamps a PutItem: the item gets the version; replication and tombstone markers are removed. */
export const stampPut = (
  input: PutItemCommandInput,
  version: Version,
  meta: MetadataNames,
): PutItemCommandInput => {
  const item = { ...input.Item };
  delete item[meta.replicated];
  delete item[meta.deleted];
  delete item[meta.expires];
  item[meta.version] = { S: encodeVersion(version) };
  return {
    ...input,
    Item: item,
    ConditionExpression: withGuard(input.ConditionExpression),
    ExpressionAttributeNames: names(meta, input.ExpressionAttributeNames, ['version']),
    ExpressionAttributeValues: { ...input.ExpressionAttributeValues, [V]: { S: encodeVersion(version) } },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
};

const clause = (keyword: string): RegExp => new RegExp(`(?<![#:\\w])${keyword}\\s+`, 'i');

/**
 * Adds `SET <version> = :v` and `REMOVE <replicated>, <deleted>, <expires>` to an UpdateExpression,
 * inside its existing SET / REMOVE clauses when it has them (DynamoDB allows each clause once).
 * An update of a deleted key revives it: the tombstone markers are removed with the stamp.
 */
export const stampUpdate = (
  input: UpdateItemCommandInput,
  version: Version,
  meta: MetadataNames,
): UpdateItemCommandInput => {
  let expression = input.UpdateExpression?.trim() ?? '';
  const set = `${N.version} = ${V}`;
  const remove = `${N.replicated}, ${N.deleted}, ${N.expires}`;
  expression = clause('SET').test(expression)
    ? expression.replace(clause('SET'), (match) => `${match}${set}, `)
    : `${expression} SET ${set}`.trim();
  expression = clause('REMOVE').test(expression)
    ? expression.replace(clause('REMOVE'), (match) => `${match}${remove}, `)
    : `${expression} REMOVE ${remove}`;
  return {
    ...input,
    UpdateExpression: expression,
    ConditionExpression: withGuard(input.ConditionExpression),
    ExpressionAttributeNames: names(meta, input.ExpressionAttributeNames, [
      'version',
      'replicated',
      'deleted',
      'expires',
    ]),
    ExpressionAttributeValues: { ...input.ExpressionAttributeValues, [V]: { S: encodeVersion(version) } },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
};

/**
 * Turns a DeleteItem into the PutItem of a tombstone: the key, the version, the delete marker and
 * its expiry (`version time + retention`, so every region expires it at the same moment).
 * A tombstone stops an older write that arrives later from bringing the item back.
 */
export const tombstonePut = (
  input: DeleteItemCommandInput,
  version: Version,
  meta: MetadataNames,
  retentionSeconds: number,
): PutItemCommandInput => ({
  TableName: input.TableName,
  Item: {
    ...input.Key,
    [meta.version]: { S: encodeVersion(version) },
    [meta.deleted]: { BOOL: true },
    [meta.expires]: { N: String(Math.floor(version.physicalMs / 1000) + retentionSeconds) },
  },
  ConditionExpression: withGuard(input.ConditionExpression),
  ExpressionAttributeNames: names(meta, input.ExpressionAttributeNames, ['version']),
  ExpressionAttributeValues: { ...input.ExpressionAttributeValues, [V]: { S: encodeVersion(version) } },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  ...(input.ReturnConsumedCapacity === undefined
    ? {}
    : { ReturnConsumedCapacity: input.ReturnConsumedCapacity }),
});
