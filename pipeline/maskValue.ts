import type { AttributeValue } from '../core/types.js';
import { MaskActions, MaskFormats } from './constants.js';
import { canonicalBytes, encryptValue, type MaskingCrypto, saltedHash } from './maskingCrypto.js';

/** One masking rule with its defaults applied. */
export type MaskRule =
  | { readonly action: 'drop' | 'hash' | 'tokenize' | 'encrypt' }
  | { readonly action: 'redact'; readonly marker?: string | undefined }
  | {
      readonly action: 'partial';
      readonly keepLast: number;
      readonly keepFirst: number;
      readonly maskChar: string;
    };

/** What masking needs besides the rule: the keys (for hash, tokenize, encrypt) and the hash salt. */
export interface MaskEnvironment {
  readonly crypto: MaskingCrypto | undefined;
  readonly hashSalt: string;
}

const TEN_POW_38 = 10n ** 38n;

/** A 38-digit (at most) DynamoDB number from a digest: numbers stay numbers, so numeric keys still work. */
const digestNumber = (digest: Buffer): string =>
  (BigInt(`0x${digest.subarray(0, 16).toString('hex')}`) % TEN_POW_38).toString();

/**
 * A deterministic digest of a value that keeps its type where DynamoDB allows: S → S (prefixed
 * base64url), N → N (up to 38 digits), B → B (32 bytes), sets member by member; documents, lists,
 * booleans and null become S.
 */
const digestValue = (
  value: AttributeValue,
  digest: (bytes: Uint8Array) => Buffer,
  prefix: string,
): AttributeValue => {
  const asString = (v: AttributeValue) => `${prefix}${digest(canonicalBytes(v)).toString('base64url')}`;
  if ('S' in value) return { S: asString(value) };
  if ('N' in value) return { N: digestNumber(digest(canonicalBytes(value))) };
  if ('B' in value) return { B: new Uint8Array(digest(canonicalBytes(value))) };
  if ('SS' in value) return { SS: value.SS.map((member) => asString({ S: member })) };
  if ('NS' in value)
    return {
      NS: [...new Set(value.NS.map((member) => digestNumber(digest(canonicalBytes({ N: member })))))],
    };
  if ('BS' in value)
    return { BS: value.BS.map((member) => new Uint8Array(digest(canonicalBytes({ B: member })))) };
  return { S: asString(value) };
};

const redact = (value: AttributeValue, marker: string): AttributeValue => {
  if ('S' in value) return { S: marker };
  if ('N' in value) return { N: '0' };
  if ('B' in value) return { B: new Uint8Array(Buffer.from(marker)) };
  if ('SS' in value) return { SS: [marker] };
  if ('NS' in value) return { NS: ['0'] };
  if ('BS' in value) return { BS: [new Uint8Array(Buffer.from(marker))] };
  if ('M' in value) return { M: {} };
  if ('L' in value) return { L: [] };
  if ('BOOL' in value) return { BOOL: false };
  return { NULL: true };
};

/**
 * Keeps `keepFirst` and `keepLast` characters (code points) of a string, masks the rest; at least
 * half of the string is always masked (a short value is masked whole). Other types are redacted.
 */
const partial = (
  value: AttributeValue,
  keepFirst: number,
  keepLast: number,
  maskChar: string,
): AttributeValue => {
  if (!('S' in value)) return redact(value, MaskFormats.defaultRedactMarker);
  const chars = [...value.S];
  if (keepFirst + keepLast > Math.floor(chars.length / 2)) return { S: maskChar.repeat(chars.length) };
  return {
    S:
      chars.slice(0, keepFirst).join('') +
      maskChar.repeat(chars.length - keepFirst - keepLast) +
      chars.slice(chars.length - keepLast).join(''),
  };
};

/**
 * Masks one value. `undefined` means "remove it" (`drop`). `crypto` must be present for
 * tokenize and encrypt (`createPipeline` checks this once).
 */
export const maskValue = (
  value: AttributeValue,
  rule: MaskRule,
  env: MaskEnvironment,
): AttributeValue | undefined => {
  switch (rule.action) {
    case MaskActions.drop:
      return undefined;
    case MaskActions.redact:
      return redact(value, rule.marker ?? MaskFormats.defaultRedactMarker);
    case MaskActions.partial:
      return partial(value, rule.keepFirst, rule.keepLast, rule.maskChar);
    case MaskActions.hash: {
      const salt = env.hashSalt;
      return digestValue(value, (bytes) => saltedHash(salt, bytes), MaskFormats.hashPrefix);
    }
    case MaskActions.tokenize: {
      const crypto = env.crypto!;
      return digestValue(value, (bytes) => crypto.token(bytes), MaskFormats.tokenPrefix);
    }
    case MaskActions.encrypt:
      return { S: encryptValue(value, env.crypto!) };
  }
};
