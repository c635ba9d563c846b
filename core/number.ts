import { DynasyncError, ErrorCodes } from './errors.js';

/** DynamoDB keeps at most 38 significant decimal digits. */
export const MAX_SIGNIFICANT_DIGITS = 38;
/** Smallest and largest decimal exponent of a non-zero DynamoDB number (1E-130 .. 9.99..E+125). */
export const MIN_EXPONENT = -130;
export const MAX_EXPONENT = 125;

const NUMBER_SHAPE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** A decimal number parsed into sign, significant digits and the exponent of its first digit. */
export interface ParsedNumber {
  readonly negative: boolean;
  /** Significant digits without leading or trailing zeros; `''` for zero. */
  readonly digits: string;
  /** Decimal exponent of the first significant digit (`1.5` → 0, `150` → 2). */
  readonly exponent: number;
}

/**
 * Parses a DynamoDB number string exactly, without ever going through JS `number`.
 * Returns `undefined` when the text is not a number DynamoDB would accept.
 */
export const parseNumber = (text: string): ParsedNumber | undefined => {
  const match = NUMBER_SHAPE.exec(text);
  if (match === null) return undefined;
  const [, sign = '', intPart = '', fracPart = '', expPart] = match;
  if (intPart === '' && fracPart === '') return undefined;
  if (expPart !== undefined && expPart.replace(/^[+-]/, '').length > 6) return undefined;
  const all = intPart + fracPart;
  const firstNonZero = all.search(/[1-9]/);
  if (firstNonZero === -1) return { negative: false, digits: '', exponent: 0 };
  const digits = all.slice(firstNonZero).replace(/0+$/, '');
  const exponent = intPart.length + Number(expPart ?? '0') - firstNonZero - 1;
  return { negative: sign === '-', digits, exponent };
};

/**
 * Checks a DynamoDB number and returns it unchanged (the text is kept as given).
 * @throws DynasyncError `codec.invalidNumber` naming the path and the limit broken.
 */
export const assertValidNumber = (text: string, path: string): string => {
  const parsed = parseNumber(text);
  if (parsed === undefined) {
    throw new DynasyncError(
      ErrorCodes.codec.invalidNumber,
      `${path}: not a decimal number; write it like "12", "-0.5" or "1.5E+3"`,
      {
        payload: { path },
      },
    );
  }
  if (parsed.digits.length > MAX_SIGNIFICANT_DIGITS) {
    throw new DynasyncError(
      ErrorCodes.codec.invalidNumber,
      `${path}: ${parsed.digits.length} significant digits; DynamoDB keeps at most ${MAX_SIGNIFICANT_DIGITS}`,
      { payload: { path } },
    );
  }
  if (parsed.digits !== '' && (parsed.exponent < MIN_EXPONENT || parsed.exponent > MAX_EXPONENT)) {
    throw new DynasyncError(
      ErrorCodes.codec.invalidNumber,
      `${path}: magnitude out of range; DynamoDB numbers lie between 1E-130 and 9.99E+125`,
      { payload: { path } },
    );
  }
  return text;
};

/**
 * A canonical text for a number: equal numbers give equal texts (`1.50`, `1.5` and `15E-1`
 * all give `+15e0`). Used to compare numbers as DynamoDB would, and to find duplicates in sets.
 */
export const canonicalNumber = (text: string): string => {
  const parsed = parseNumber(text);
  if (parsed === undefined) return `invalid:${text}`;
  if (parsed.digits === '') return '0';
  return `${parsed.negative ? '-' : '+'}${parsed.digits}e${parsed.exponent}`;
};
