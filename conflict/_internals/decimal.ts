import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { MAX_SIGNIFICANT_DIGITS, parseNumber } from '../../core/number.js';

/** A decimal as an exact integer mantissa and a power-of-ten scale: `value = mantissa × 10^scale`. */
interface Decimal {
  readonly mantissa: bigint;
  readonly scale: number;
}

const toDecimal = (text: string, path: string): Decimal => {
  const parsed = parseNumber(text);
  if (parsed === undefined)
    throw new DynasyncError(ErrorCodes.codec.invalidNumber, `${path}: "${text}" is not a decimal number`, {
      payload: { path },
    });
  if (parsed.digits === '') return { mantissa: 0n, scale: 0 };
  const mantissa = BigInt(parsed.digits);
  return {
    mantissa: parsed.negative ? -mantissa : mantissa,
    scale: parsed.exponent - parsed.digits.length + 1,
  };
};

const fromDecimal = ({ mantissa, scale }: Decimal, path: string): string => {
  if (mantissa === 0n) return '0';
  let m = mantissa;
  let s = scale;
  while (m % 10n === 0n) {
    m /= 10n;
    s += 1;
  }
  const negative = m < 0n;
  const digits = (negative ? -m : m).toString();
  if (digits.length > MAX_SIGNIFICANT_DIGITS)
    throw new DynasyncError(
      ErrorCodes.codec.invalidNumber,
      `${path}: the sum has ${digits.length} significant digits; DynamoDB keeps at most ${MAX_SIGNIFICANT_DIGITS}`,
      { payload: { path } },
    );
  const sign = negative ? '-' : '';
  if (s >= 0 && s <= 40) return `${sign}${digits}${'0'.repeat(s)}`;
  if (s < 0 && -s <= 40) {
    const padded = digits.padStart(-s + 1, '0');
    return `${sign}${padded.slice(0, padded.length + s)}.${padded.slice(padded.length + s)}`;
  }
  return `${sign}${digits}E${s}`;
};

/**
 * Exact sum of DynamoDB numbers given as text (never through JS `number`).
 * @throws DynasyncError `codec.invalidNumber` when an operand is not a number or the sum needs more than 38 digits.
 */
export const addDecimals = (texts: readonly string[], path = 'number'): string => {
  const parts = texts.map((text) => toDecimal(text, path));
  if (parts.length === 0) return '0';
  const scale = Math.min(...parts.map((part) => part.scale));
  const sum = parts.reduce((total, part) => total + part.mantissa * 10n ** BigInt(part.scale - scale), 0n);
  return fromDecimal({ mantissa: sum, scale }, path);
};

/** Exact `a − b`. */
export const subtractDecimals = (a: string, b: string, path = 'number'): string => {
  const right = toDecimal(b, path);
  return addDecimals([a, fromDecimal({ mantissa: -right.mantissa, scale: right.scale }, path)], path);
};
