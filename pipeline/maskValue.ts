import { canonicalNumber } from '../core/number.js';
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

/** A 38-digit (at most) DynamoDB number from a digest's hex: numbers stay numbers, so numeric keys still work. */
const digestNumber = (hex: string): string => (BigInt(`0x${hex.slice(0, 32)}`) % TEN_POW_38).toString();

/**
 * A keyed or salted digest of canonical bytes (a string stands for its UTF-8 bytes), as bytes or
 * directly as text (no Buffer made when only the text is kept).
 */
interface Digest {
  bytes(data: Uint8Array | string): Buffer;
  text(data: Uint8Array | string, encoding: 'base64url' | 'hex'): string;
}

/**
 * The canonical bytes of an S or N value as text (`S\0…`, `N\0…`): hashing it as UTF-8 gives
 * exactly the digest of `canonicalBytes`, without building the Buffer in JS.
 */
const canonicalData = (value: AttributeValue): Uint8Array | string => {
  if ('S' in value) return `S\0${value.S}`;
  if ('N' in value) return `N\0${canonicalNumber(value.N)}`;
  return canonicalBytes(value);
};

/**
 * A deterministic digest of a value that keeps its type where DynamoDB allows: S → S (prefixed
 * base64url), N → N (up to 38 digits), B → B (32 bytes), sets member by member; documents, lists,
 * booleans and null become S.
 */
const digestValue = (value: AttributeValue, digest: Digest, prefix: string): AttributeValue => {
  if ('S' in value) return { S: `${prefix}${digest.text(canonicalData(value), 'base64url')}` };
  if ('N' in value) return { N: digestNumber(digest.text(canonicalData(value), 'hex')) };
  if ('B' in value) return { B: new Uint8Array(digest.bytes(canonicalBytes(value))) };
  if ('SS' in value)
    return {
      SS: value.SS.map((member) => `${prefix}${digest.text(canonicalData({ S: member }), 'base64url')}`),
    };
  if ('NS' in value)
    return {
      NS: [
        ...new Set(value.NS.map((member) => digestNumber(digest.text(canonicalData({ N: member }), 'hex')))),
      ],
    };
  if ('BS' in value)
    return { BS: value.BS.map((member) => new Uint8Array(digest.bytes(canonicalBytes({ B: member })))) };
  return { S: `${prefix}${digest.text(canonicalBytes(value), 'base64url')}` };
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

/** A compiled masking rule: masks one value, `undefined` meaning "remove it" (`drop`). */
export type MaskFunction = (value: AttributeValue) => AttributeValue | undefined;

/**
 * Compiles one rule once (per stage, not per value): the digest and marker are bound here, so
 * masking a value allocates no closures. `crypto` must be present for tokenize and encrypt
 * (`createPipeline` checks this once).
 */
export const compileMaskRule = (rule: MaskRule, env: MaskEnvironment): MaskFunction => {
  switch (rule.action) {
    case MaskActions.drop:
      return () => undefined;
    case MaskActions.redact: {
      const marker = rule.marker ?? MaskFormats.defaultRedactMarker;
      return (value) => redact(value, marker);
    }
    case MaskActions.partial: {
      const { keepFirst, keepLast, maskChar } = rule;
      return (value) => partial(value, keepFirst, keepLast, maskChar);
    }
    case MaskActions.hash: {
      const salt = env.hashSalt;
      const digest: Digest = {
        bytes: (data) => saltedHash(salt, data),
        text: (data, encoding) => saltedHash(salt, data).toString(encoding),
      };
      return (value) => digestValue(value, digest, MaskFormats.hashPrefix);
    }
    case MaskActions.tokenize: {
      const crypto = env.crypto!;
      const digest: Digest = {
        bytes: (data) => crypto.token(data),
        text: (data, encoding) => crypto.tokenText(data, encoding),
      };
      return (value) => digestValue(value, digest, MaskFormats.tokenPrefix);
    }
    case MaskActions.encrypt: {
      const crypto = env.crypto!;
      return (value) => ({ S: encryptValue(value, crypto) });
    }
  }
};

/**
 * Masks one value. `undefined` means "remove it" (`drop`). `crypto` must be present for
 * tokenize and encrypt (`createPipeline` checks this once). To mask many values with one rule,
 * compile it once with {@link compileMaskRule}.
 */
export const maskValue = (
  value: AttributeValue,
  rule: MaskRule,
  env: MaskEnvironment,
): AttributeValue | undefined => compileMaskRule(rule, env)(value);
