import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAttributeValue,
  decodeItem,
  encodeAttributeValue,
  encodeItem,
  MAX_DEPTH,
} from '../../core/codec.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { WireAttributeValue } from '../../core/types.js';
import { number38Digits, wireAttributeValue, wireBinary, wireItem } from '../helpers/arbitraries.js';
import { assertIdempotent, checkProperty, expectDeepEqual } from '../helpers/laws.js';

const decodeError = (run: () => unknown): DynasyncError => {
  try {
    run();
  } catch (error) {
    if (error instanceof DynasyncError) return error;
    throw error;
  }
  return expect.fail('expected a DynasyncError, but decoding succeeded');
};

const nested = (levels: number): WireAttributeValue =>
  levels === 0 ? { S: 'leaf' } : { M: { a: nested(levels - 1) } };

describe('codec round trip', () => {
  it('law: encode(decode(wire)) equals wire, and decode(encode(decode(wire))) equals decode(wire)', () => {
    checkProperty(
      fc.property(wireItem(), (wire) => {
        // Prepare
        const snapshot = structuredClone(wire);

        // Act
        const decoded = decodeItem(wire, 'NewImage');
        const encoded = encodeItem(decoded);

        // Assess
        expectDeepEqual(encoded, snapshot);
        expectDeepEqual(decodeItem(encoded, 'NewImage'), decoded);
        expectDeepEqual(wire, snapshot, 'decode must not change its input');
      }),
      200,
    );
  });

  it('law: normalising to the wire form (decode, then encode) is idempotent', () => {
    assertIdempotent(wireItem(2), (wire) => encodeItem(decodeItem(wire)), 100);
  });

  it('law: numbers keep their exact text, 38-digit numbers included', () => {
    checkProperty(
      fc.property(number38Digits(), (text) => {
        const decoded = decodeAttributeValue({ N: text }, 'n');
        expect(decoded).toStrictEqual({ N: text });
        expect(encodeAttributeValue(decoded)).toStrictEqual({ N: text });
      }),
    );
  });

  it('law: binary decodes to the exact bytes of its base64 text', () => {
    checkProperty(
      fc.property(wireBinary(), (B) => {
        const decoded = decodeAttributeValue({ B }, 'b');
        expect('B' in decoded && decoded.B).toBeInstanceOf(Uint8Array);
        expect(Buffer.from((decoded as { B: Uint8Array }).B).equals(Buffer.from(B, 'base64'))).toBe(true);
      }),
    );
  });

  it('law: sets stay sets of the same tag with the same members', () => {
    checkProperty(
      fc.property(wireAttributeValue(0), (wire) => {
        const decoded = decodeAttributeValue(wire, 'x');
        expect(Object.keys(decoded)).toStrictEqual(Object.keys(wire));
        expectDeepEqual(encodeAttributeValue(decoded), wire);
      }),
    );
  });

  it('keeps a 38-digit number, an exponent number and binary exactly', () => {
    // Prepare
    const wire = {
      pk: { S: 'k1' },
      big: { N: '12345678901234567890123456789012345678' },
      small: { N: '-1.5E-130' },
      bytes: { B: 'AAEC/w==' },
      tags: { SS: ['b', 'a'] },
    };

    // Act
    const item = decodeItem(wire);

    // Assess
    expect(item.big).toStrictEqual({ N: '12345678901234567890123456789012345678' });
    expect(item.small).toStrictEqual({ N: '-1.5E-130' });
    expect(item.bytes).toStrictEqual({ B: new Uint8Array([0, 1, 2, 255]) });
    expect(item.tags).toStrictEqual({ SS: ['b', 'a'] });
    expect(encodeItem(item)).toStrictEqual(wire);
  });

  it('accepts SDK-shaped binary (Uint8Array) as well as base64', () => {
    const item = decodeItem({ b: { B: new Uint8Array([1, 2]) }, bs: { BS: [new Uint8Array([3]), 'BA=='] } });

    expect(encodeItem(item)).toStrictEqual({ b: { B: 'AQI=' }, bs: { BS: ['Aw==', 'BA=='] } });
  });

  it(`accepts nesting of exactly ${MAX_DEPTH} levels`, () => {
    expect(() => decodeItem({ deep: nested(MAX_DEPTH) })).not.toThrow();
  });

  it('keeps an attribute named __proto__ as an ordinary attribute', () => {
    // Prepare: JSON.parse makes "__proto__" an own property, as a Lambda event would.
    const wire = JSON.parse('{"pk":{"S":"k1"},"__proto__":{"S":"x"}}') as Record<string, unknown>;

    // Act
    const item = decodeItem(wire);

    // Assess
    expect(Object.keys(item)).toStrictEqual(['pk', '__proto__']);
    expect(Object.getPrototypeOf(item)).toBe(Object.prototype);
    expect(Object.keys(encodeItem(item))).toStrictEqual(['pk', '__proto__']);
  });
});

describe('codec rejections', () => {
  it.each([
    ['empty SS', { SS: [] }],
    ['empty NS', { NS: [] }],
    ['empty BS', { BS: [] }],
  ])('rejects %s with codec.emptySet', (_name, value) => {
    const error = decodeError(() => decodeItem({ pk: { S: 'k' }, set: value }, 'NewImage'));

    expect(error.code).toBe(ErrorCodes.codec.emptySet);
    expect(error.payload.path).toBe('NewImage.set');
  });

  it.each([
    ['SS', { SS: ['a', 'b', 'a'] }],
    ['NS equal text', { NS: ['1', '2', '1'] }],
    ['NS 1 and 1.0', { NS: ['1', '1.0'] }],
    ['NS 15E-1 and 1.50', { NS: ['15E-1', '1.50'] }],
    ['NS 0 and -0', { NS: ['0', '-0'] }],
    ['BS', { BS: ['AQ==', 'AQ=='] }],
    ['BS bytes and base64', { BS: [new Uint8Array([1]), 'AQ=='] }],
  ])('rejects a duplicate %s member with codec.duplicateSetMember', (_name, value) => {
    const error = decodeError(() => decodeItem({ set: value }, 'NewImage'));

    expect(error.code).toBe(ErrorCodes.codec.duplicateSetMember);
    expect(error.payload.path).toBe('NewImage.set');
  });

  it.each([
    ['39 significant digits', { N: '123456789012345678901234567890123456789' }],
    ['39 significant digits after the point', { N: '0.123456789012345678901234567890123456789' }],
    ['an exponent above the range', { N: '1E126' }],
    ['an exponent above the range (plain)', { N: `1${'0'.repeat(126)}` }],
    ['an exponent below the range', { N: '1E-131' }],
    ['an exponent below the range (plain)', { N: `0.${'0'.repeat(130)}1` }],
    ['letters', { N: 'abc' }],
    ['an empty string', { N: '' }],
    ['a lone point', { N: '.' }],
    ['a dangling exponent', { N: '1e' }],
    ['whitespace', { N: ' 1' }],
    ['Infinity', { N: 'Infinity' }],
    ['NaN', { N: 'NaN' }],
    ['hexadecimal', { N: '0x10' }],
  ])('rejects a number with %s as codec.invalidNumber', (_name, value) => {
    const error = decodeError(() => decodeItem({ n: value }, 'NewImage'));

    expect(error.code).toBe(ErrorCodes.codec.invalidNumber);
    expect(error.payload.path).toBe('NewImage.n');
  });

  it('rejects a JS number instead of decimal text with codec.invalidNumber', () => {
    const error = decodeError(() => decodeItem({ n: { N: 12 } }, 'NewImage'));

    expect(error.code).toBe(ErrorCodes.codec.invalidNumber);
    expect(error.payload.path).toBe('NewImage.n');
  });

  it('names the member of an NS that is not a number', () => {
    const error = decodeError(() => decodeItem({ ns: { NS: ['1', 'x'] } }, 'NewImage'));

    expect(error.code).toBe(ErrorCodes.codec.invalidNumber);
    expect(error.payload.path).toBe('NewImage.ns[1]');
  });

  it.each([
    ['two type tags', { S: 'a', N: '1' }],
    ['an unknown tag', { X: 'a' }],
    ['a lower-case tag', { s: 'a' }],
    ['no tag', {}],
    ['NULL false', { NULL: false }],
    ['BOOL as text', { BOOL: 'true' }],
    ['S as a number', { S: 1 }],
    ['B that is not base64', { B: 'not base64!' }],
    ['SS holding a number', { SS: ['a', 1] }],
    ['M as a list', { M: [] }],
    ['L as a map', { L: {} }],
    ['a bare string', 'text'],
    ['null', null],
    ['an array', [{ S: 'a' }]],
  ])('rejects %s with codec.invalidValue', (_name, value) => {
    const error = decodeError(() => decodeItem({ attr: value }, 'NewImage'));

    expect(error.code).toBe(ErrorCodes.codec.invalidValue);
    expect(error.payload.path).toBe('NewImage.attr');
  });

  it(`rejects nesting deeper than ${MAX_DEPTH} levels with codec.invalidValue`, () => {
    const tooDeep = decodeError(() => decodeItem({ deep: nested(MAX_DEPTH + 1) }));
    const farTooDeep = decodeError(() => decodeItem({ deep: nested(100) }));

    expect(tooDeep.code).toBe(ErrorCodes.codec.invalidValue);
    expect(farTooDeep.code).toBe(ErrorCodes.codec.invalidValue);
    // The path names the map that is one level too deep.
    expect(tooDeep.payload.path).toBe(`deep${'.a'.repeat(MAX_DEPTH)}`);
  });

  it('matches DynamoDB: 31 nested maps inside an item are accepted, 32 are rejected even when the last is empty', () => {
    expect(MAX_DEPTH).toBe(31);
    let empty: WireAttributeValue = { M: {} };
    for (let level = 1; level < 32; level += 1) empty = { M: { a: empty } };

    expect(() => decodeItem({ deep: nested(31) })).not.toThrow();
    expect(decodeError(() => decodeItem({ deep: nested(32) })).code).toBe(ErrorCodes.codec.invalidValue);
    expect(decodeError(() => decodeItem({ deep: empty })).code).toBe(ErrorCodes.codec.invalidValue);
  });

  it('rejects lists nested too deep as well as maps', () => {
    let value: WireAttributeValue = { S: 'leaf' };
    for (let level = 0; level < MAX_DEPTH + 1; level += 1) value = { L: [value] };

    expect(decodeError(() => decodeItem({ deep: value })).code).toBe(ErrorCodes.codec.invalidValue);
  });

  it('rejects an empty attribute name', () => {
    const error = decodeError(() => decodeItem({ m: { M: { '': { S: 'x' } } } }, 'NewImage'));

    expect(error.code).toBe(ErrorCodes.codec.invalidValue);
    expect(error.payload.path).toBe('NewImage.m');
  });

  it('rejects an item that is not a map', () => {
    expect(decodeError(() => decodeItem([], 'Keys')).code).toBe(ErrorCodes.codec.invalidValue);
    expect(decodeError(() => decodeItem(null, 'Keys')).code).toBe(ErrorCodes.codec.invalidValue);
  });

  it('names the nested path of the value at fault', () => {
    // Prepare
    const wire = {
      pk: { S: 'k1' },
      order: { M: { lines: { L: [{ M: { qty: { N: '1' } } }, { M: { qty: { N: 'abc' } } }] } } },
    };

    // Act
    const error = decodeError(() => decodeItem(wire, 'NewImage'));

    // Assess
    expect(error.code).toBe(ErrorCodes.codec.invalidNumber);
    expect(error.payload.path).toBe('NewImage.order.lines[1].qty');
  });

  it('names the path without a prefix when none is given', () => {
    const error = decodeError(() => decodeItem({ m: { M: { s: { SS: [] } } } }));

    expect(error.code).toBe(ErrorCodes.codec.emptySet);
    expect(error.payload.path).toBe('m.s');
  });
});
