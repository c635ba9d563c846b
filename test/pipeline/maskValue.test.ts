import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAttributeValue, decodeItem, encodeAttributeValue, encodeItem } from '../../core/codec.js';
import type { AttributeValue, Item } from '../../core/types.js';
import { MaskFormats } from '../../pipeline/constants.js';
import {
  canonicalBytes,
  createKeyRing,
  createMaskingCrypto,
  saltedHash,
} from '../../pipeline/maskingCrypto.js';
import { compileMaskRule, type MaskEnvironment, type MaskRule, maskValue } from '../../pipeline/maskValue.js';
import { anyString, numberText, wireAttributeValue, wireItem } from '../helpers/arbitraries.js';
import { checkProperty, expectDeepEqual } from '../helpers/laws.js';

const env: MaskEnvironment = {
  crypto: createMaskingCrypto(createKeyRing(new Uint8Array(randomBytes(32)))),
  hashSalt: 'orders',
};
const rules: Record<string, MaskRule> = {
  redact: { action: 'redact' },
  hash: { action: 'hash' },
  tokenize: { action: 'tokenize' },
  encrypt: { action: 'encrypt' },
  partial: { action: 'partial', keepLast: 4, keepFirst: 0, maskChar: '*' },
};

/** Every string, number and binary inside a value, as text. */
const leaves = (value: AttributeValue): string[] => {
  if ('S' in value) return [value.S];
  if ('N' in value) return [value.N];
  if ('B' in value) return [Buffer.from(value.B).toString('base64')];
  if ('SS' in value) return [...value.SS];
  if ('NS' in value) return [...value.NS];
  if ('BS' in value) return value.BS.map((b) => Buffer.from(b).toString('base64'));
  if ('M' in value) return Object.values(value.M).flatMap(leaves);
  if ('L' in value) return value.L.flatMap(leaves);
  return [];
};

describe('maskValue', () => {
  it('law: tokenize is deterministic: the same value gives the same token (a second key ring from the same key agrees)', () => {
    const material = new Uint8Array(randomBytes(32));
    const regionA = { crypto: createMaskingCrypto(createKeyRing(material)), hashSalt: 'x' };
    const regionB = { crypto: createMaskingCrypto(createKeyRing(new Uint8Array(material))), hashSalt: 'x' };
    checkProperty(
      fc.property(wireAttributeValue(2), (wire) => {
        const value = decodeAttributeValue(wire, 'v');
        expectDeepEqual(
          maskValue(value, rules.tokenize!, regionA),
          maskValue(value, rules.tokenize!, regionB),
        );
      }),
    );
  });

  it('law: tokenize is collision-free on a large sample of distinct strings and numbers', () => {
    const strings = fc.sample(fc.uniqueArray(anyString(), { minLength: 5_000, maxLength: 5_000 }), 1)[0]!;
    const tokens = new Set(strings.map((S) => (maskValue({ S }, rules.tokenize!, env) as { S: string }).S));
    expect(tokens.size).toBe(strings.length);
    const numbers = Array.from({ length: 20_000 }, (_, index) => String(index));
    const numberTokens = new Set(
      numbers.map((N) => (maskValue({ N }, rules.tokenize!, env) as { N: string }).N),
    );
    expect(numberTokens.size).toBe(numbers.length);
  });

  it('law: equal numbers (1.50 and 1.5) give one token, as DynamoDB compares them', () => {
    expect(maskValue({ N: '1.50' }, rules.tokenize!, env)).toEqual(
      maskValue({ N: '1.5' }, rules.tokenize!, env),
    );
  });

  it('law: masked output never contains a raw string value of 6+ characters (redact, hash, tokenize, encrypt, partial)', () => {
    checkProperty(
      fc.property(
        fc.constantFrom('redact', 'hash', 'tokenize', 'encrypt', 'partial'),
        fc.stringMatching(/^[a-z]{3,10}@[a-z]{3,10}\.example$/),
        (action, secret) => {
          const value: AttributeValue = { M: { email: { S: secret }, list: { L: [{ S: secret }] } } };
          const masked = maskValue(value, rules[action]!, env);
          expect(JSON.stringify(encodeAttributeValue(masked!))).not.toContain(secret);
          const partial = maskValue({ S: secret }, rules.partial!, env) as { S: string };
          expect(partial.S).not.toContain(secret.slice(0, 6));
        },
      ),
    );
  });

  it('law: masked values are valid DynamoDB values (the codec accepts them)', () => {
    checkProperty(
      fc.property(
        fc.constantFrom('redact', 'hash', 'tokenize', 'encrypt', 'partial'),
        wireAttributeValue(2),
        (action, wire) => {
          const masked = maskValue(decodeAttributeValue(wire, 'v'), rules[action]!, env);
          expect(() => decodeAttributeValue(encodeAttributeValue(masked!), 'masked')).not.toThrow();
        },
      ),
    );
  });

  it('law: tokenize and hash keep S, N and B key types (numbers stay numbers, up to 38 digits)', () => {
    checkProperty(
      fc.property(numberText(), anyString(), (N, S) => {
        for (const rule of [rules.tokenize!, rules.hash!]) {
          const n = maskValue({ N }, rule, env) as { N: string };
          expect(n.N).toMatch(/^\d{1,38}$/);
          expect(Object.keys(maskValue({ S }, rule, env)!)).toEqual(['S']);
          expect(Object.keys(maskValue({ B: new Uint8Array([1, 2]) }, rule, env)!)).toEqual(['B']);
        }
      }),
    );
  });

  it('redact keeps the type; partial keeps the last 4 of a long string and masks short ones whole', () => {
    expect(maskValue({ S: 'x' }, rules.redact!, env)).toEqual({ S: MaskFormats.defaultRedactMarker });
    expect(maskValue({ N: '12' }, rules.redact!, env)).toEqual({ N: '0' });
    expect(maskValue({ S: '4111111111111111' }, rules.partial!, env)).toEqual({ S: '************1111' });
    expect(maskValue({ S: '1234567' }, rules.partial!, env)).toEqual({ S: '*******' });
    expect(maskValue({ S: 'x' }, { action: 'drop' }, env)).toBeUndefined();
  });

  it('strings of the masked leaves never equal an unmasked leaf of 6+ characters (whole items)', () => {
    checkProperty(
      fc.property(wireItem(2), (wire) => {
        const item = decodeItem(wire);
        for (const action of ['hash', 'tokenize', 'encrypt'] as const) {
          const masked = Object.fromEntries(
            Object.entries(item).map(([name, value]) => [name, maskValue(value, rules[action]!, env)!]),
          ) as Item;
          const before = new Set(
            Object.values(item)
              .flatMap(leaves)
              .filter((text) => text.length >= 6),
          );
          for (const text of Object.values(masked).flatMap(leaves)) expect(before.has(text)).toBe(false);
          expect(() => decodeItem(encodeItem(masked))).not.toThrow();
        }
      }),
    );
  });

  it('known answers: tokens, hashes and ciphertexts of a fixed key never change (existing replicas hold them)', () => {
    const fixed: MaskEnvironment = {
      crypto: createMaskingCrypto(createKeyRing(new Uint8Array(32).map((_, index) => index))),
      hashSalt: 'orders',
    };
    const mask = (action: 'tokenize' | 'hash' | 'encrypt', value: AttributeValue) =>
      encodeAttributeValue(maskValue(value, { action }, fixed)!);
    expect(fixed.crypto!.keyId).toBe('633ff7f5d31e35c9');
    expect(mask('tokenize', { S: 'ada@example.com' })).toEqual({
      S: 'tk1_fpoUCxtWFW4ZN0UF2aEWvXemZBCW50EHBms5zNOQutw',
    });
    expect(mask('tokenize', { S: 'é😀\uD800' })).toEqual({
      S: 'tk1_AFqwvdjBwfU926b-_o0Z_zlgv9iiBx925zQc9vTLKX0',
    });
    expect(mask('tokenize', { N: '1.50' })).toEqual({ N: '98476023476619529863458973285439081698' });
    expect(mask('tokenize', { B: new Uint8Array([1, 2, 3]) })).toEqual({
      B: 'wI7T2zT4zeqG2ma4pgfVqIfvHajPcMP8rvRV4c+kojw=',
    });
    expect(mask('tokenize', { SS: ['a', 'b'] })).toEqual({
      SS: [
        'tk1_4hFk6SR51MEPYQl2JDEdBau10DYjQaOb4jQVPQAqeI8',
        'tk1_ARjmh5mfIt3CDa5I8H_Krr_72tWpRiriGcE_fJt4L7g',
      ],
    });
    expect(mask('tokenize', { NS: ['1', '2.0'] })).toEqual({
      NS: ['30601291720417408180793514725133075369', '56865632850816997953189169459376880972'],
    });
    expect(mask('tokenize', { M: { b: { S: 'x' }, a: { N: '1' } } })).toEqual({
      S: 'tk1_hodZcnYkYfjnYq6KEXLvpnDvH6-l3utoCZw3aryKFKg',
    });
    expect(mask('hash', { S: 'ada@example.com' })).toEqual({
      S: 'h1_tFNsUq8CUJVwCIH92NUhXmPJ4jQJ0X3pGjdZd5wcH9Q',
    });
    expect(mask('hash', { N: '1.50' })).toEqual({ N: '14724857698001475237237196501566491361' });
    expect(mask('encrypt', { S: 'ada@example.com' })).toEqual({
      S: 'dsenc1.633ff7f5d31e35c9.MORi0C72raQnA_W9Q4Ze4MJxpi5qc5UNGlRifPVhazjcSElfkwYBaZ4RxFdchLEnsYfy',
    });
    expect(mask('encrypt', { N: '1.50' })).toEqual({
      S: 'dsenc1.633ff7f5d31e35c9.CLOs15OyYs9Xfy4OvPFMV4GFcKjjVn65kKa6IZrXo_-wRQjpZk0R8w',
    });
    expect(mask('encrypt', { M: { b: { S: 'x' }, a: { N: '1' } } })).toEqual({
      S: 'dsenc1.633ff7f5d31e35c9.5kj2JOvnPxlGvSfEiZLaWIiOKYVFtR0xu1wGll9aGytQ6NpgcMtg6Enty9DHa6aL8rYCw1YkcQijQ_l2-kMo',
    });
  });

  it('law: the fast paths (string digests, direct JSON) equal the generic definitions for every value', () => {
    const crypto = env.crypto!;
    // The definitions: digests of canonicalBytes, ciphertext of the exact wire JSON.
    const digestOf = (value: AttributeValue, digest: (bytes: Uint8Array) => Buffer, prefix: string) =>
      `${prefix}${digest(canonicalBytes(value)).toString('base64url')}`;
    const tokenize = compileMaskRule(rules.tokenize!, env);
    const hash = compileMaskRule(rules.hash!, env);
    const encrypt = compileMaskRule(rules.encrypt!, env);
    checkProperty(
      fc.property(wireAttributeValue(2), anyString(), (wire, S) => {
        const value = decodeAttributeValue(wire, 'v');
        expectDeepEqual(encrypt(value), {
          S: crypto.encryptText(JSON.stringify(encodeAttributeValue(value))),
        });
        for (const one of [value, { S } as AttributeValue]) {
          const token = tokenize(one)!;
          const hashed = hash(one)!;
          if ('S' in one) {
            expect(token).toEqual({
              S: digestOf(one, (bytes) => crypto.token(bytes), MaskFormats.tokenPrefix),
            });
            expect(hashed).toEqual({
              S: digestOf(one, (bytes) => saltedHash(env.hashSalt, bytes), MaskFormats.hashPrefix),
            });
          }
          if ('SS' in one)
            expect(token).toEqual({
              SS: one.SS.map((member) =>
                digestOf({ S: member }, (bytes) => crypto.token(bytes), MaskFormats.tokenPrefix),
              ),
            });
          expectDeepEqual(token, maskValue(one, rules.tokenize!, env));
        }
      }),
    );
  });
});
