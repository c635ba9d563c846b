import { parseNumber } from './number.js';
import type { AttributeValue, Item } from './types.js';

/** DynamoDB's maximum item size, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024;

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

const numberBytes = (text: string): number => {
  const digits = parseNumber(text)?.digits.length ?? text.length;
  return Math.ceil(digits / 2) + 1;
};

/** Size of one value by DynamoDB's published sizing rules (documents: 3 bytes + 1 per element). */
export const attributeValueSize = (value: AttributeValue): number => {
  if ('S' in value) return utf8(value.S);
  if ('N' in value) return numberBytes(value.N);
  if ('B' in value) return value.B.byteLength;
  if ('SS' in value) return value.SS.reduce((sum, member) => sum + utf8(member), 0);
  if ('NS' in value) return value.NS.reduce((sum, member) => sum + numberBytes(member), 0);
  if ('BS' in value) return value.BS.reduce((sum, member) => sum + member.byteLength, 0);
  if ('M' in value) {
    return (
      3 +
      Object.entries(value.M).reduce(
        (sum, [name, member]) => sum + utf8(name) + attributeValueSize(member) + 1,
        0,
      )
    );
  }
  if ('L' in value) return 3 + value.L.reduce((sum, member) => sum + attributeValueSize(member) + 1, 0);
  return 1;
};

/** Size of an item as DynamoDB counts it against the 400 KB limit. */
export const itemSize = (item: Item): number =>
  Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + attributeValueSize(value), 0);
