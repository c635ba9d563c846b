import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAttributeValue, decodeItem } from '../../core/codec.js';
import { attributeValuesEqual, differingAttributes, itemsEqual } from '../../core/equality.js';
import type { AttributeValue } from '../../core/types.js';
import { wireAttributeValue, wireItem } from '../helpers/arbitraries.js';
import { checkProperty } from '../helpers/laws.js';

const value = (wire: unknown): AttributeValue => decodeAttributeValue(wire, 'x');

describe('attributeValuesEqual', () => {
  it.each([
    ['SS in another order', { SS: ['a', 'b', 'c'] }, { SS: ['c', 'a', 'b'] }],
    ['NS in another order', { NS: ['1', '2'] }, { NS: ['2', '1'] }],
    ['NS with other spellings', { NS: ['1.50', '100'] }, { NS: ['1E2', '15E-1'] }],
    ['BS in another order', { BS: ['AQ==', 'Ag=='] }, { BS: ['Ag==', 'AQ=='] }],
    ['N spelled differently', { N: '1.50' }, { N: '15E-1' }],
    ['N zero and negative zero', { N: '0' }, { N: '-0.0' }],
    [
      'maps in another key order',
      { M: { a: { N: '1' }, b: { S: 'x' } } },
      { M: { b: { S: 'x' }, a: { N: '1.0' } } },
    ],
    ['binary from bytes and base64', { B: new Uint8Array([1, 2]) }, { B: 'AQI=' }],
    ['NULL', { NULL: true }, { NULL: true }],
  ])('treats %s as equal', (_name, a, b) => {
    expect(attributeValuesEqual(value(a), value(b))).toBe(true);
    expect(attributeValuesEqual(value(b), value(a))).toBe(true);
  });

  it.each([
    ['different SS members', { SS: ['a', 'b'] }, { SS: ['a', 'c'] }],
    ['a smaller SS', { SS: ['a', 'b'] }, { SS: ['a'] }],
    ['different numbers', { N: '1.5' }, { N: '1.51' }],
    ['numbers of opposite sign', { N: '1' }, { N: '-1' }],
    ['S and N of the same text', { S: '1' }, { N: '1' }],
    ['SS and NS of the same text', { SS: ['1'] }, { NS: ['1'] }],
    ['lists in another order', { L: [{ S: 'a' }, { S: 'b' }] }, { L: [{ S: 'b' }, { S: 'a' }] }],
    ['a longer list', { L: [{ S: 'a' }] }, { L: [{ S: 'a' }, { S: 'a' }] }],
    ['maps with an extra key', { M: { a: { S: 'x' } } }, { M: { a: { S: 'x' }, b: { S: 'y' } } }],
    ['different bytes', { B: 'AQ==' }, { B: 'Ag==' }],
    ['BOOL true and false', { BOOL: true }, { BOOL: false }],
    ['NULL and BOOL', { NULL: true }, { BOOL: false }],
  ])('treats %s as different', (_name, a, b) => {
    expect(attributeValuesEqual(value(a), value(b))).toBe(false);
    expect(attributeValuesEqual(value(b), value(a))).toBe(false);
  });

  it('law: every valid value equals itself and a decoded copy of itself', () => {
    checkProperty(
      fc.property(wireAttributeValue(), (wire) => {
        expect(attributeValuesEqual(value(wire), value(wire))).toBe(true);
      }),
    );
  });

  it('law: a set equals itself in reverse order', () => {
    checkProperty(
      fc.property(wireAttributeValue(0), (wire) => {
        const reversed = Object.fromEntries(
          Object.entries(wire).map(([tag, inner]) => [
            tag,
            Array.isArray(inner) ? [...inner].reverse() : inner,
          ]),
        );

        expect(attributeValuesEqual(value(wire), value(reversed))).toBe(true);
      }),
    );
  });
});

describe('differingAttributes', () => {
  it('lists attributes that differ or are present on one side only, sorted', () => {
    // Prepare
    const a = decodeItem({
      pk: { S: 'k' },
      n: { N: '1.0' },
      tags: { SS: ['x', 'y'] },
      gone: { S: 'a' },
      z: { S: '1' },
    });
    const b = decodeItem({
      pk: { S: 'k' },
      n: { N: '1' },
      tags: { SS: ['y', 'x'] },
      added: { BOOL: true },
      z: { S: '2' },
    });

    // Act
    const differing = differingAttributes(a, b);

    // Assess
    expect(differing).toStrictEqual(['added', 'gone', 'z']);
    expect(differingAttributes(b, a)).toStrictEqual(differing);
    expect(itemsEqual(a, b)).toBe(false);
  });

  it('is empty for equal items', () => {
    const a = decodeItem({ pk: { S: 'k' }, n: { N: '150E-2' } });
    const b = decodeItem({ n: { N: '1.5' }, pk: { S: 'k' } });

    expect(differingAttributes(a, b)).toStrictEqual([]);
    expect(itemsEqual(a, b)).toBe(true);
  });

  it('law: an item differs from itself nowhere', () => {
    checkProperty(
      fc.property(wireItem(2), (wire) => {
        expect(differingAttributes(decodeItem(wire), decodeItem(wire))).toStrictEqual([]);
      }),
    );
  });
});
