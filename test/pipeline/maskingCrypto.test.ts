import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAttributeValue } from '../../core/codec.js';
import { ErrorCodes } from '../../core/errors.js';
import {
  createKeyRing,
  createMaskingCrypto,
  decryptText,
  decryptValue,
  encryptValue,
} from '../../pipeline/maskingCrypto.js';
import { wireAttributeValue } from '../helpers/arbitraries.js';
import { checkProperty, dynasyncErrorOf, expectDeepEqual } from '../helpers/laws.js';

const ring = createKeyRing(new Uint8Array(randomBytes(32)));
const crypto = createMaskingCrypto(ring);

describe('encrypt / decrypt', () => {
  it('law: decryptValue(encryptValue(v)) = v for every AttributeValue (round trip)', () => {
    checkProperty(
      fc.property(wireAttributeValue(3), (wire) => {
        const value = decodeAttributeValue(wire, 'v');
        expectDeepEqual(decryptValue(encryptValue(value, crypto), ring), value);
      }),
    );
  });

  it('law: encryption is deterministic (synthetic IV): equal values give equal ciphertexts, different values different IVs', () => {
    const a = encryptValue({ S: 'ada@example.com' }, crypto);
    const b = encryptValue({ S: 'ada@example.com' }, crypto);
    const c = encryptValue({ S: 'ada@example.org' }, crypto);
    expect(a).toBe(b);
    const iv = (text: string) =>
      Buffer.from(text.split('.')[2]!, 'base64url').subarray(0, 12).toString('hex');
    expect(iv(a)).not.toBe(iv(c));
    expect(decryptValue(a, ring)).toEqual({ S: 'ada@example.com' });
    expect(a.startsWith(`dsenc1.${ring.current.id}.`)).toBe(true);
  });

  it('rejects a tampered ciphertext, an unknown key and garbage with pipeline.decryptFailed', () => {
    const text = encryptValue({ S: 'secret' }, crypto);
    const last = text.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${text.slice(0, -2)}${last}${text.at(-1)}`;
    expect(dynasyncErrorOf(() => decryptValue(tampered, ring)).code).toBe(ErrorCodes.pipeline.decryptFailed);
    const other = createKeyRing(new Uint8Array(randomBytes(32)));
    expect(dynasyncErrorOf(() => decryptValue(text, other)).code).toBe(ErrorCodes.pipeline.decryptFailed);
    expect(dynasyncErrorOf(() => decryptText('not a ciphertext', ring)).code).toBe(
      ErrorCodes.pipeline.decryptFailed,
    );
  });

  it('decrypts values made under a previous key after rotation (the key id picks the key)', () => {
    const old = new Uint8Array(randomBytes(32));
    const before = encryptValue({ N: '42' }, createMaskingCrypto(createKeyRing(old)));
    const rotated = createKeyRing(new Uint8Array(randomBytes(32)), [old]);
    expect(decryptValue(before, rotated)).toEqual({ N: '42' });
  });

  it('refuses keys that are not 256 bits', () => {
    expect(dynasyncErrorOf(() => createKeyRing(new Uint8Array(16))).code).toBe(
      ErrorCodes.pipeline.keyUnavailable,
    );
  });
});
