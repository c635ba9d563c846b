import { canonicalNumber } from './number.js';
import type { AttributeValue, Item } from './types.js';

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

const sameMembers = (a: readonly string[], b: readonly string[]): boolean => {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((member) => set.has(member));
};

const base64 = (member: Uint8Array): string => Buffer.from(member).toString('base64');

/**
 * Equality as DynamoDB sees values: numbers compare by value (`1.50` equals `1.5`, because DynamoDB
 * normalises them), sets compare without order, lists and maps compare member by member.
 */
export const attributeValuesEqual = (a: AttributeValue, b: AttributeValue): boolean => {
  if ('S' in a) return 'S' in b && a.S === b.S;
  if ('N' in a) return 'N' in b && canonicalNumber(a.N) === canonicalNumber(b.N);
  if ('B' in a) return 'B' in b && bytesEqual(a.B, b.B);
  if ('SS' in a) return 'SS' in b && sameMembers(a.SS, b.SS);
  if ('NS' in a) return 'NS' in b && sameMembers(a.NS.map(canonicalNumber), b.NS.map(canonicalNumber));
  if ('BS' in a) return 'BS' in b && sameMembers(a.BS.map(base64), b.BS.map(base64));
  if ('M' in a) return 'M' in b && itemsEqual(a.M, b.M);
  if ('L' in a)
    return (
      'L' in b && a.L.length === b.L.length && a.L.every((member, i) => attributeValuesEqual(member, b.L[i]!))
    );
  if ('NULL' in a) return 'NULL' in b;
  return 'BOOL' in b && a.BOOL === b.BOOL;
};

/** Names of the attributes whose values differ (present on one side only, or unequal), sorted. */
export const differingAttributes = (a: Item, b: Item): string[] => {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  const differing: string[] = [];
  for (const name of names) {
    const left = a[name];
    const right = b[name];
    if (left === undefined || right === undefined || !attributeValuesEqual(left, right)) differing.push(name);
  }
  return differing.sort();
};

/** True when both items hold the same attributes with equal values. */
export const itemsEqual = (a: Item, b: Item): boolean => differingAttributes(a, b).length === 0;
