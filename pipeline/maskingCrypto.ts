import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync } from 'node:crypto';
import { decodeAttributeValue, encodeAttributeValue } from '../core/codec.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import { canonicalNumber } from '../core/number.js';
import type { AttributeValue } from '../core/types.js';
import { MaskFormats } from './constants.js';
import type { DataKey, KeyRing } from './types.js';

/**
 * The cryptography of masking, on `node:crypto` primitives only.
 *
 * From one 256-bit data key, HKDF-SHA-256 derives independent subkeys (salt `dynasync`):
 * - info `dynasync/tokenize/v1`: the HMAC-SHA-256 key of `tokenize`;
 * - info `dynasync/encrypt/v1`: the AES-256-GCM key of `encrypt`;
 * - info `dynasync/iv/v1`: the HMAC-SHA-256 key that makes `encrypt`'s IV from the clear text.
 * - info `dynasync/key-id/v1`: 8 bytes, hex: the key id recorded in every ciphertext.
 *
 * Every region holds the same data key (a KMS multi-Region key decrypts the same ciphertext), so
 * every region computes the same tokens.
 */

const derive = (material: Uint8Array, info: string, length = 32): Buffer =>
  Buffer.from(hkdfSync('sha256', material, 'dynasync', info, length));

/** The id of a data key: a fingerprint that reveals nothing useful about the key. */
export const dataKeyId = (material: Uint8Array): string =>
  derive(material, 'dynasync/key-id/v1', 8).toString('hex');

/**
 * Builds a key ring from raw key material (the current key first).
 * @throws DynasyncError `pipeline.keyUnavailable` when a key is not 32 bytes.
 */
export const createKeyRing = (current: Uint8Array, previous: readonly Uint8Array[] = []): KeyRing => {
  const all = [current, ...previous].map((material, index): DataKey => {
    if (material.length !== 32)
      throw new DynasyncError(
        ErrorCodes.pipeline.keyUnavailable,
        `masking key ${index === 0 ? '(current)' : `previous[${index - 1}]`} is ${material.length} bytes; it must be 32 (256 bits), e.g. "openssl rand -base64 32"`,
        { payload: { index } },
      );
    return { id: dataKeyId(material), material: new Uint8Array(material) };
  });
  return { current: all[0]!, all };
};

/** Compiled keys of the current data key. */
export interface MaskingCrypto {
  readonly keyId: string;
  /** HMAC-SHA-256 of `data` under the token key; a string is hashed as its UTF-8 bytes. */
  token(data: Uint8Array | string): Buffer;
  /** `token(data).toString(encoding)`, without making the Buffer. */
  tokenText(data: Uint8Array | string, encoding: 'base64url' | 'hex'): string;
  /**
   * Encrypts text: `dsenc1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`, AES-256-GCM with a synthetic
   * IV (the first 96 bits of HMAC-SHA-256 of the clear text under its own subkey, as in SIV modes):
   * the same text gives the same ciphertext, so redeliveries write identical items and `verify` can
   * compare replicas. It reveals that two values are equal (as tokens do), never the values.
   */
  encryptText(text: string): string;
}

/** Prepares the current key of a ring for masking. */
export const createMaskingCrypto = (ring: KeyRing): MaskingCrypto => {
  const tokenKey = derive(ring.current.material, 'dynasync/tokenize/v1');
  const encryptKey = derive(ring.current.material, 'dynasync/encrypt/v1');
  const ivKey = derive(ring.current.material, 'dynasync/iv/v1');
  const keyId = ring.current.id;
  const aad = Buffer.from(`${MaskFormats.cipherPrefix}.${keyId}`);
  // The IV's HMAC input is `aad ‖ 0x00 ‖ text`; the prefix is ASCII, so as text it has the same UTF-8 bytes.
  const ivPrefix = `${MaskFormats.cipherPrefix}.${keyId}\0`;
  return {
    keyId,
    token: (data) => createHmac('sha256', tokenKey).update(data).digest(),
    tokenText: (data, encoding) => createHmac('sha256', tokenKey).update(data).digest(encoding),
    encryptText: (text) => {
      const iv = createHmac('sha256', ivKey).update(`${ivPrefix}${text}`, 'utf8').digest().subarray(0, 12);
      const cipher = createCipheriv('aes-256-gcm', encryptKey, iv);
      cipher.setAAD(aad);
      const body = Buffer.concat([iv, cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${MaskFormats.cipherPrefix}.${keyId}.${body.toString('base64url')}`;
    },
  };
};

const ZERO_BYTE = Buffer.from([0]);

/** SHA-256 of `salt ‖ 0x00 ‖ data`: the `hash` action (the salt is not secret); a string is hashed as its UTF-8 bytes. */
export const saltedHash = (salt: string, data: Uint8Array | string): Buffer =>
  createHash('sha256').update(salt, 'utf8').update(ZERO_BYTE).update(data).digest();

const decryptFailed = (reason: string): DynasyncError =>
  new DynasyncError(ErrorCodes.pipeline.decryptFailed, `cannot decrypt: ${reason}`, {});

/** True when a string looks like a dynasync ciphertext. */
export const isCiphertext = (text: string): boolean => text.startsWith(`${MaskFormats.cipherPrefix}.`);

/**
 * Decrypts a ciphertext made by `encryptText` with whichever key of the ring its key id names.
 * @throws DynasyncError `pipeline.decryptFailed`: not a ciphertext, unknown key id (rotated away:
 *   add the old key to `keys.previous`), or tampered.
 */
export const decryptText = (ciphertext: string, ring: KeyRing): string => {
  const parts = ciphertext.split('.');
  if (parts.length !== 3 || parts[0] !== MaskFormats.cipherPrefix)
    throw decryptFailed(`not a "${MaskFormats.cipherPrefix}.<key id>.<data>" ciphertext`);
  const keyId = parts[1]!;
  const key = ring.all.find((candidate) => candidate.id === keyId);
  if (key === undefined)
    throw decryptFailed(
      `it was encrypted with key ${keyId}, which the key provider does not hold (it has ${ring.all.map((k) => k.id).join(', ')}); add the old key to keys.previous`,
    );
  const body = Buffer.from(parts[2]!, 'base64url');
  if (body.length < 28) throw decryptFailed('the ciphertext is truncated');
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      derive(key.material, 'dynasync/encrypt/v1'),
      body.subarray(0, 12),
    );
    decipher.setAAD(Buffer.from(`${MaskFormats.cipherPrefix}.${keyId}`));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw decryptFailed('authentication failed: wrong key or the ciphertext was changed');
  }
};

/**
 * The exact JSON wire form of a value, `JSON.stringify(encodeAttributeValue(value))`; S and N (most
 * masked values) are written directly, without the intermediate object.
 */
const valueJson = (value: AttributeValue): string => {
  if ('S' in value) return `{"S":${JSON.stringify(value.S)}}`;
  if ('N' in value) return `{"N":${JSON.stringify(value.N)}}`;
  return JSON.stringify(encodeAttributeValue(value));
};

/** Encrypts one AttributeValue (its exact JSON form), so decryption gives back the same type and value. */
export const encryptValue = (value: AttributeValue, crypto: MaskingCrypto): string =>
  crypto.encryptText(valueJson(value));

/**
 * Decrypts a value made by the `encrypt` action back to its AttributeValue.
 * @example
 * const ring = await keys.resolve();
 * decryptValue(item.email.S, ring); // { S: 'ada@example.com' }
 */
export const decryptValue = (ciphertext: string, ring: KeyRing): AttributeValue => {
  const text = decryptText(ciphertext, ring);
  try {
    return decodeAttributeValue(JSON.parse(text), 'decrypted value');
  } catch {
    throw decryptFailed(
      'the clear text is not an AttributeValue (a sealed record? read it with decryptText)',
    );
  }
};

/**
 * The bytes a value is tokenized or hashed from: a type tag, then the value as DynamoDB compares
 * it (numbers canonical, so `1.50` and `1.5` give one token). Equal values give equal bytes.
 */
export const canonicalBytes = (value: AttributeValue): Buffer => {
  if ('S' in value) return Buffer.from(`S\0${value.S}`, 'utf8');
  if ('N' in value) return Buffer.from(`N\0${canonicalNumber(value.N)}`, 'utf8');
  if ('B' in value) return Buffer.concat([Buffer.from('B\0'), Buffer.from(value.B)]);
  return Buffer.from(`J\0${JSON.stringify(canonicalJson(value))}`, 'utf8');
};

const canonicalJson = (value: AttributeValue): unknown => {
  if ('S' in value) return { S: value.S };
  if ('N' in value) return { N: canonicalNumber(value.N) };
  if ('B' in value) return { B: Buffer.from(value.B).toString('base64') };
  if ('SS' in value) return { SS: [...value.SS].sort() };
  if ('NS' in value) return { NS: value.NS.map(canonicalNumber).sort() };
  if ('BS' in value) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')).sort() };
  if ('M' in value)
    return {
      M: Object.keys(value.M)
        .sort()
        .map((name) => [name, canonicalJson(value.M[name]!)]),
    };
  if ('L' in value) return { L: value.L.map(canonicalJson) };
  if ('NULL' in value) return { NULL: true };
  return { BOOL: value.BOOL };
};
