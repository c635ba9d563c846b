import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MetadataNames } from '../core/config/topology.js';
import { differingAttributes } from '../core/equality.js';
import { keyIdOf } from '../core/keyId.js';
import type { Item } from '../core/types.js';
import { scanAll } from './tables.js';

/** How two small tables compare: live items, tombstones, and the keys that differ. */
export interface TableComparison {
  readonly live: readonly [number, number];
  readonly tombstones: readonly [number, number];
  /** Keys whose state differs; attribute names only, never values. */
  readonly differences: ReadonlyArray<{
    readonly key: string;
    readonly kind: 'missing' | 'extra' | 'different';
    readonly attributes: readonly string[];
  }>;
}

const isDeleted = (item: Item, names: MetadataNames): boolean => {
  const marker = item[names.deleted];
  return marker !== undefined && 'BOOL' in marker && marker.BOOL;
};

/** The attributes that must agree between replicas: everything but the replication marker. */
const comparable = (item: Item, names: MetadataNames): Item => {
  const { [names.replicated]: _replicated, ...rest } = item;
  return rest;
};

/**
 * Scans two tables completely and compares them key by key, as replicas must agree: the same live
 * items with the same attributes and versions, and the same tombstones. Holds both tables in
 * memory: for the demo and tests. Production audits use `dynasync verify`.
 */
export const compareTables = async (
  left: { client: DynamoDBClient; table: string },
  right: { client: DynamoDBClient; table: string },
  keyNames: readonly string[],
  names: MetadataNames,
): Promise<TableComparison> => {
  const [a, b] = await Promise.all([scanAll(left.client, left.table), scanAll(right.client, right.table)]);
  const index = (items: Item[]) =>
    new Map(
      items.map((item) => [keyIdOf(Object.fromEntries(keyNames.map((name) => [name, item[name]!]))), item]),
    );
  const mapA = index(a);
  const mapB = index(b);
  const differences: Array<TableComparison['differences'][number]> = [];
  for (const [key, itemA] of mapA) {
    const itemB = mapB.get(key);
    if (itemB === undefined) {
      differences.push({ key, kind: 'missing', attributes: [] });
      continue;
    }
    const attributes = differingAttributes(comparable(itemA, names), comparable(itemB, names));
    if (attributes.length > 0) differences.push({ key, kind: 'different', attributes });
  }
  for (const key of mapB.keys()) if (!mapA.has(key)) differences.push({ key, kind: 'extra', attributes: [] });
  const count = (items: Item[]) => items.filter((item) => isDeleted(item, names)).length;
  return {
    live: [a.length - count(a), b.length - count(b)],
    tombstones: [count(a), count(b)],
    differences,
  };
};
