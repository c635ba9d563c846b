import fc from 'fast-check';
import { MAX_LOGICAL, type Version } from '../../conflict/version.js';
import { canonicalNumber, MAX_EXPONENT, MAX_SIGNIFICANT_DIGITS, MIN_EXPONENT } from '../../core/number.js';
import type { WireAttributeValue, WireItem } from '../../core/types.js';

/**
 * fast-check arbitraries for valid DynamoDB values (in their JSON wire form) and for versions.
 * Everything generated here is something DynamoDB itself would accept, so a decoder must take it.
 */

const digit = fc.integer({ min: 0, max: 9 }).map(String);

/** A decimal number with the parts it was built from, so tests have an exact oracle. */
export interface NumberParts {
  /** The text as it would appear in an AttributeValue `N`. */
  readonly text: string;
  readonly negative: boolean;
  /** Significant digits: first non-zero, last non-zero (`''` for zero). */
  readonly digits: string;
  /** Decimal exponent of the first significant digit. */
  readonly exponent: number;
}

/** Places `digits` (first digit non-zero) so that its first digit has decimal exponent `exponent`. */
const plainText = (digits: string, exponent: number): string => {
  if (exponent >= digits.length - 1) return digits + '0'.repeat(exponent - (digits.length - 1));
  if (exponent >= 0) return `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  return `0.${'0'.repeat(-exponent - 1)}${digits}`;
};

/** Significant digits: 1..38 digits, first and last non-zero. */
export const significantDigits = (maxDigits = MAX_SIGNIFICANT_DIGITS): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.integer({ min: 1, max: 9 }),
      fc.array(digit, { maxLength: maxDigits - 2 }),
      fc.integer({ min: 1, max: 9 }),
      fc.boolean(),
    )
    .map(([first, middle, last, single]) => (single ? String(first) : `${first}${middle.join('')}${last}`));

/**
 * A valid DynamoDB number in one of its many spellings: plain (`-12.5`), scientific (`1.25E+1`),
 * shifted (`0.0125e3`), with trailing zeros (`12.500`), and zero. Up to 38 significant digits,
 * first-digit exponent within -130..125.
 */
export const numberParts = (): fc.Arbitrary<NumberParts> => {
  const nonZero = fc
    .record({
      negative: fc.boolean(),
      digits: significantDigits(),
      exponent: fc.oneof(
        fc.integer({ min: MIN_EXPONENT, max: MAX_EXPONENT }),
        fc.integer({ min: -3, max: 40 }),
        fc.constantFrom(MIN_EXPONENT, MAX_EXPONENT),
      ),
      shift: fc.integer({ min: -4, max: 42 }),
      style: fc.constantFrom('plain', 'E', 'e', 'E+', 'trailingZeros'),
      trailing: fc.integer({ min: 1, max: 3 }),
    })
    .map(({ negative, digits, exponent, shift, style, trailing }): NumberParts => {
      let body: string;
      if (style === 'plain' || style === 'trailingZeros') {
        body = Math.abs(exponent) <= 60 ? plainText(digits, exponent) : `${plainText(digits, 0)}E${exponent}`;
        if (style === 'trailingZeros') body = body.includes('.') || body.includes('E') ? body : `${body}.`;
        if (style === 'trailingZeros' && !body.includes('E')) body += '0'.repeat(trailing);
      } else {
        const rest = exponent - shift;
        const sign = style === 'E+' && rest >= 0 ? '+' : '';
        body = `${plainText(digits, shift)}${style === 'e' ? 'e' : 'E'}${sign}${rest}`;
      }
      return { text: `${negative ? '-' : ''}${body}`, negative, digits, exponent };
    });
  const zero = fc
    .constantFrom('0', '0.0', '0.000', '0E0')
    .map((text): NumberParts => ({ text, negative: false, digits: '', exponent: 0 }));
  return fc.oneof({ arbitrary: nonZero, weight: 9 }, { arbitrary: zero, weight: 1 });
};

/** Just the text of {@link numberParts}. */
export const numberText = (): fc.Arbitrary<string> => numberParts().map((parts) => parts.text);

/** Integers with exactly 38 digits (the most DynamoDB keeps), as text. */
export const number38Digits = (): fc.Arbitrary<string> =>
  fc
    .tuple(fc.boolean(), fc.bigInt({ min: 10n ** 37n, max: 10n ** 38n - 1n }))
    .map(([negative, value]) => `${negative ? '-' : ''}${value}`);

/** Binary as the wire carries it: standard padded base64 of 0..24 bytes. */
export const wireBinary = (): fc.Arbitrary<string> =>
  fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes).toString('base64'));

/** One Unicode code point (no lone surrogates), as a string. Cheaper to set up than `unit: 'binary'`. */
const codePoint = (): fc.Arbitrary<string> =>
  fc
    .oneof(fc.integer({ min: 0, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff }))
    .map((code) => String.fromCodePoint(code));

/** Any string, including empty and non-ASCII text (allowed for non-key attributes). */
export const anyString = (): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: codePoint(), maxLength: 8 }));

/**
 * Attribute names: non-empty text. `__proto__` is left out here; it has its own test in
 * test/core/codec.test.ts so a failure there is not reported twice.
 */
export const attributeName = (): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 8 }),
      fc.constantFrom('pk', 'sk', 'a.b', 'constructor', ' ', 'N'),
    )
    .filter((name) => name !== '__proto__');

const scalarWire = (): fc.Arbitrary<WireAttributeValue> =>
  fc.oneof(
    anyString().map((S) => ({ S })),
    numberText().map((N) => ({ N })),
    wireBinary().map((B) => ({ B })),
    fc.uniqueArray(anyString(), { minLength: 1, maxLength: 5 }).map((SS) => ({ SS })),
    fc
      .uniqueArray(numberText(), { minLength: 1, maxLength: 5, selector: canonicalNumber })
      .map((NS) => ({ NS })),
    fc.uniqueArray(wireBinary(), { minLength: 1, maxLength: 4 }).map((BS) => ({ BS })),
    fc.constant({ NULL: true as const }),
    fc.boolean().map((BOOL) => ({ BOOL })),
  );

/**
 * A valid AttributeValue in JSON wire form, with maps and lists nested up to `maxDepth` levels.
 * @default maxDepth 3
 */
export const wireAttributeValue = (maxDepth = 3): fc.Arbitrary<WireAttributeValue> => {
  if (maxDepth <= 0) return scalarWire();
  const inner = wireAttributeValue(maxDepth - 1);
  return fc.oneof(
    { arbitrary: scalarWire(), weight: 4 },
    { arbitrary: wireItem(maxDepth - 1, inner).map((M) => ({ M })), weight: 1 },
    { arbitrary: fc.array(inner, { maxLength: 4 }).map((L) => ({ L })), weight: 1 },
  );
};

/** A valid item in JSON wire form (maps may be empty, names are non-empty). */
export const wireItem = (maxDepth = 3, value = wireAttributeValue(maxDepth)): fc.Arbitrary<WireItem> =>
  fc.dictionary(attributeName(), value, { maxKeys: 5, noNullPrototype: true }) as fc.Arbitrary<WireItem>;

/** Region names as versions carry them (the origin of a version). */
export const origin = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom('eu-west-1', 'us-east-1', 'eu', 'eu-west', 'ap-southeast-2', 'a', '0'),
    fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/),
  );

/** A stream sequence number: 1-40 digits, no leading zeros (as DynamoDB issues them). */
export const sequenceNumber = (): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.bigInt({ min: 0n, max: 10n ** 40n - 1n }),
      fc.bigInt({ min: 10n ** 20n, max: 10n ** 20n + 20n }),
    )
    .map(String);

const withSequence = (version: Omit<Version, 'sequence'>, sequence: string | undefined): Version =>
  sequence === undefined ? version : { ...version, sequence };

/** Any encodable version, over the whole range of every field. */
export const version = (): fc.Arbitrary<Version> =>
  fc
    .record({
      physicalMs: fc.oneof(
        fc.bigInt({ min: 0n, max: 999_999_999_999_999n }).map(Number),
        fc.constantFrom(0, 1, 1_700_000_000_000, 999_999_999_999_999),
      ),
      logical: fc.oneof(fc.integer({ min: 0, max: MAX_LOGICAL }), fc.constantFrom(0, 1, MAX_LOGICAL)),
      origin: origin(),
      sequence: fc.option(sequenceNumber(), { nil: undefined }),
    })
    .map(({ sequence, ...rest }) => withSequence(rest, sequence));

/** Versions from a small domain, so that equal fields (and equal versions) are frequent. */
export const crowdedVersion = (): fc.Arbitrary<Version> =>
  fc
    .record({
      physicalMs: fc.integer({ min: 0, max: 3 }),
      logical: fc.integer({ min: 0, max: 2 }),
      origin: fc.constantFrom('eu', 'eu-west', 'eu-west-1', 'us'),
      sequence: fc.option(fc.constantFrom('0', '7', '12', '99999999999999999999'), { nil: undefined }),
    })
    .map(({ sequence, ...rest }) => withSequence(rest, sequence));
