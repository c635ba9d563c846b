import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeVersion, tryDecodeVersion } from '../../../conflict/version.js';
import { decodeItem } from '../../../core/codec.js';
import { metadataNamesFor } from '../../../core/config/topology.js';
import { itemsEqual } from '../../../core/equality.js';
import { canonicalNumber } from '../../../core/number.js';
import type { AttributeValue, Item } from '../../../core/types.js';
import {
  canonicalDecimal,
  canonicalKeyId,
  comparableItem,
  itemDigest,
  observe,
  VERSION_TEXT,
  versionOf,
} from '../../../tools/verify/digest.js';
import { numberParts, version as versionArb, wireBinary, wireItem } from '../../helpers/arbitraries.js';
import { checkProperty } from '../../helpers/laws.js';

const names = metadataNamesFor('_ds_');
const activeActive = { names, compareVersions: true };
const oneWay = { names, compareVersions: false };
const V1 = '001700000000000.000000.eu-west-1';
const V2 = '001700000000001.000000.eu-west-1';

/** The same value with every set member order reversed and maps rebuilt in reverse name order. */
const reordered = (value: AttributeValue): AttributeValue => {
  if ('SS' in value) return { SS: [...value.SS].reverse() };
  if ('NS' in value) return { NS: [...value.NS].reverse() };
  if ('BS' in value) return { BS: [...value.BS].reverse() };
  if ('M' in value) return { M: reorderedItem(value.M) };
  if ('L' in value) return { L: value.L.map(reordered) };
  return value;
};
const reorderedItem = (item: Item): Item =>
  Object.fromEntries(
    Object.keys(item)
      .reverse()
      .map((name) => [name, reordered(item[name]!)]),
  );

const anyItem = wireItem(3).map((wire) => decodeItem(wire));

describe('itemDigest', () => {
  it('agrees with core/equality: equal digests exactly for equal items', () => {
    checkProperty(
      fc.property(anyItem, anyItem, (a, b) => {
        expect(itemDigest(a, activeActive) === itemDigest(b, activeActive)).toBe(itemsEqual(a, b));
        expect(itemDigest(a, activeActive)).toBe(itemDigest(reorderedItem(a), activeActive));
      }),
      300,
    );
  });

  it('gives the same digest for an item in its JSON wire form (the scan) and decoded (the re-read)', () => {
    checkProperty(
      fc.property(wireItem(3), (wire) => {
        expect(itemDigest(wire, activeActive)).toBe(itemDigest(decodeItem(wire), activeActive));
      }),
      300,
    );
  });

  it('compares numbers by value, whatever their spelling', () => {
    checkProperty(
      fc.property(numberParts(), (parts) => {
        const plain = `${parts.negative ? '-' : ''}0.${parts.digits || '0'}E${parts.exponent + 1}`;
        expect(itemDigest({ n: { N: parts.text } }, activeActive)).toBe(
          itemDigest({ n: { N: plain } }, activeActive),
        );
      }),
    );
  });

  it('tells types apart: the string "1" is not the number 1, a list is not a set', () => {
    const digest = (value: AttributeValue) => itemDigest({ a: value }, activeActive);
    expect(digest({ S: '1' })).not.toBe(digest({ N: '1' }));
    expect(digest({ L: [{ S: 'x' }] })).not.toBe(digest({ SS: ['x'] }));
    expect(digest({ B: new Uint8Array([1]) })).not.toBe(digest({ B: new Uint8Array([1, 0]) }));
    expect(digest({ NULL: true })).not.toBe(digest({ BOOL: false }));
  });

  it('never compares the replication marker; compares the version in active-active only', () => {
    const item: Item = { pk: { S: 'k' }, [names.version]: { S: V1 } };
    const replica: Item = { ...item, [names.replicated]: { BOOL: true } };
    const newer: Item = { ...item, [names.version]: { S: V2 } };
    expect(itemDigest(replica, activeActive)).toBe(itemDigest(item, activeActive));
    expect(itemDigest(newer, activeActive)).not.toBe(itemDigest(item, activeActive));
    expect(itemDigest(newer, oneWay)).toBe(itemDigest(item, oneWay));
    expect(comparableItem(replica, oneWay)).toEqual({ pk: { S: 'k' } });
  });
});

describe('observe', () => {
  it('reduces an item to state, digest and version; a tombstone to its version', () => {
    expect(observe(undefined, activeActive)).toEqual({ state: 'absent', digest: '', version: '' });
    expect(
      observe({ pk: { S: 'k' }, [names.version]: { S: V1 }, [names.deleted]: { BOOL: true } }, activeActive),
    ).toEqual({
      state: 'tombstone',
      digest: '',
      version: V1,
    });
    const live = observe({ pk: { S: 'k' }, [names.version]: { S: V1 } }, activeActive);
    expect(live.state).toBe('live');
    expect(live.digest).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('marks a version attribute that is not a dynasync version without showing it', () => {
    const version = versionOf({ [names.version]: { S: 'my secret' } }, names);
    expect(version).toMatch(/^invalid:[0-9a-f]{12}$/);
    expect(versionOf({ [names.version]: { N: '5' } }, names)).not.toBe(version);
    expect(versionOf({}, names)).toBe('');
  });
});

describe('canonicalKeyId', () => {
  it('identifies a key the same way in both forms, and is the key as JSON (numbers spelled plainly)', () => {
    checkProperty(
      fc.property(fc.string(), numberParts(), wireBinary(), (pk, sk, blob) => {
        const wire = { pk: { S: pk }, sk: { N: sk.text }, b: { B: blob } };
        const decoded = decodeItem(wire);
        const id = canonicalKeyId(wire);
        expect(canonicalKeyId(decoded)).toBe(id);
        expect(canonicalKeyId({ b: wire.b, sk: { N: canonicalDecimal(sk.text) }, pk: wire.pk })).toBe(id);
        expect(id).not.toMatch(/[\t\n]/);
        const parsed = decodeItem(JSON.parse(id));
        expect(Object.keys(parsed)).toEqual(['b', 'pk', 'sk']);
        expect(itemsEqual(parsed, decoded)).toBe(true);
      }),
    );
  });

  it('reads only the named attributes of a whole item', () => {
    expect(canonicalKeyId({ sk: { N: '1.50' }, pk: { S: 'a' }, other: { S: 'x' } }, ['pk', 'sk'])).toBe(
      '{"pk":{"S":"a"},"sk":{"N":"1.5"}}',
    );
  });
});

describe('canonicalDecimal', () => {
  it('gives one plain spelling per value: equal exactly when core/number says the values are equal', () => {
    checkProperty(
      fc.property(numberParts(), numberParts(), (a, b) => {
        expect(canonicalDecimal(a.text) === canonicalDecimal(b.text)).toBe(
          canonicalNumber(a.text) === canonicalNumber(b.text),
        );
        expect(canonicalDecimal(canonicalDecimal(a.text))).toBe(canonicalDecimal(a.text));
        expect(canonicalNumber(canonicalDecimal(a.text))).toBe(canonicalNumber(a.text));
      }),
      500,
    );
    expect(['1.50', '15E-1', '+1.5', '0.15e1'].map(canonicalDecimal)).toEqual(['1.5', '1.5', '1.5', '1.5']);
    expect(['-0', '0.0', '-0.000E5'].map(canonicalDecimal)).toEqual(['0', '0', '0']);
    expect(canonicalDecimal('1E+2')).toBe('100');
  });
});

describe('VERSION_TEXT', () => {
  it('accepts exactly what tryDecodeVersion decodes', () => {
    checkProperty(
      fc.property(
        fc.oneof(
          versionArb().map(encodeVersion),
          fc.string(),
          versionArb().map((v) => `${encodeVersion(v)}x`),
        ),
        (text) => {
          expect(VERSION_TEXT.test(text)).toBe(tryDecodeVersion(text) !== undefined);
        },
      ),
      500,
    );
  });
});
