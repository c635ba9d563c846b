import { describe, expect, it } from 'vitest';
import { decodeAttributeValue, decodeItem } from '../../core/codec.js';
import { attributeValueSize, itemSize, MAX_ITEM_BYTES } from '../../core/itemSize.js';

const size = (wire: unknown): number => attributeValueSize(decodeAttributeValue(wire, 'x'));

describe('attributeValueSize', () => {
  it.each([
    ['an ASCII string', { S: 'hello' }, 5],
    ['an empty string', { S: '' }, 0],
    ['a multi-byte string (UTF-8 bytes)', { S: 'é€' }, 5],
    ['binary (bytes, not base64)', { B: 'AAECAw==' }, 4],
    ['a one-digit number', { N: '7' }, 2],
    ['a number by significant digits', { N: '123.4500' }, 4],
    ['zero', { N: '0' }, 1],
    ['a 38-digit number', { N: '12345678901234567890123456789012345678' }, 20],
    ['BOOL', { BOOL: false }, 1],
    ['NULL', { NULL: true }, 1],
    ['SS as the sum of members', { SS: ['ab', 'cde'] }, 5],
    ['BS as the sum of members', { BS: ['AQ==', 'AQI='] }, 3],
    ['NS as the sum of members', { NS: ['1', '12', '123'] }, 2 + 2 + 3],
    ['an empty map', { M: {} }, 3],
    ['an empty list', { L: [] }, 3],
    ['a map: 3 + name + value + 1 per entry', { M: { ab: { S: 'xyz' } } }, 3 + 2 + 3 + 1],
    ['a list: 3 + value + 1 per element', { L: [{ S: 'xyz' }, { BOOL: true }] }, 3 + 4 + 2],
  ])('measures %s', (_name, wire, expected) => {
    expect(size(wire)).toBe(expected);
  });
});

describe('itemSize', () => {
  it('counts attribute names and values', () => {
    const item = decodeItem({ pk: { S: 'order-1' }, qty: { N: '12' }, note: { S: '' } });

    expect(itemSize(item)).toBe(2 + 7 + 3 + 2 + 4 + 0);
  });

  it('counts an item just over the limit as over it', () => {
    const name = 'p';
    const item = decodeItem({ [name]: { S: 'x'.repeat(MAX_ITEM_BYTES) } });

    expect(itemSize(item)).toBe(MAX_ITEM_BYTES + 1);
    expect(MAX_ITEM_BYTES).toBe(409_600);
  });
});
