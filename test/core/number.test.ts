import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, isDynasyncError } from '../../core/errors.js';
import {
  assertValidNumber,
  canonicalNumber,
  MAX_SIGNIFICANT_DIGITS,
  parseNumber,
} from '../../core/number.js';
import { number38Digits, numberParts, significantDigits } from '../helpers/arbitraries.js';
import { checkProperty } from '../helpers/laws.js';

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return isDynasyncError(error) ? error.code : 'not a DynasyncError';
  }
};

describe('canonicalNumber', () => {
  it.each([
    [['1.50', '1.5', '15E-1', '0.015e2', '+1.5', '1.5000E0', '.15E1']],
    [['100', '1E2', '1e+2', '100.000', '0.001E5']],
    [['0', '0.0', '-0', '0E10', '000']],
    [['-12.5', '-1.25E1', '-0.125e2']],
  ])('gives numerically equal texts one canonical form: %j', (texts) => {
    const forms = new Set(texts.map(canonicalNumber));

    expect(forms.size).toBe(1);
  });

  it('spells out the canonical form', () => {
    expect(canonicalNumber('1.50')).toBe('+15e0');
    expect(canonicalNumber('-0.015e2')).toBe('-15e0');
    expect(canonicalNumber('-0')).toBe('0');
  });

  it.each([
    ['1.5', '1.51'],
    ['1.5', '-1.5'],
    ['10', '1'],
    ['1E2', '1E3'],
    ['12345678901234567890123456789012345678', '12345678901234567890123456789012345679'],
  ])('keeps different numbers apart: %s and %s', (a, b) => {
    expect(canonicalNumber(a)).not.toBe(canonicalNumber(b));
  });

  it('law: canonicalNumber(text) is sign, exact significant digits and first-digit exponent', () => {
    checkProperty(
      fc.property(numberParts(), ({ text, negative, digits, exponent }) => {
        const expected = digits === '' ? '0' : `${negative ? '-' : '+'}${digits}e${exponent}`;

        expect(canonicalNumber(text)).toBe(expected);
      }),
      300,
    );
  });

  it('law: every spelling of the same digits and exponent has the same canonical form', () => {
    checkProperty(
      fc.property(
        significantDigits(),
        fc.integer({ min: -20, max: 20 }),
        fc.integer({ min: -5, max: 5 }),
        (digits, exponent, shift) => {
          const scientific = `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}E${exponent}`;
          const shifted = `${digits}E${exponent - (digits.length - 1)}`;
          const padded = `0.${'0'.repeat(Math.max(0, shift))}${digits}E${exponent + 1 + Math.max(0, shift)}`;

          expect(canonicalNumber(shifted)).toBe(canonicalNumber(scientific));
          expect(canonicalNumber(padded)).toBe(canonicalNumber(scientific));
        },
      ),
    );
  });
});

describe('parseNumber', () => {
  it('law: 38-digit numbers keep all their digits (no float rounding)', () => {
    checkProperty(
      fc.property(number38Digits(), (text) => {
        const parsed = parseNumber(text);
        const digits = text.replace(/^-/, '').replace(/0+$/, '');

        expect(parsed).toStrictEqual({ negative: text.startsWith('-'), digits, exponent: 37 });
        expect(canonicalNumber(text)).toBe(`${text.startsWith('-') ? '-' : '+'}${digits}e37`);
      }),
    );
  });

  it('distinguishes numbers that a float cannot', () => {
    // 2^53 + 1 and 2^53 are equal as JS numbers.
    expect(canonicalNumber('9007199254740993')).not.toBe(canonicalNumber('9007199254740992'));
    expect(parseNumber('0.1000000000000000055511151231257827')?.digits).toBe(
      '1000000000000000055511151231257827',
    );
  });

  it.each([
    'abc',
    '',
    '.',
    '-',
    '1e',
    'e5',
    '1.2.3',
    '1,5',
    ' 1',
    '1 ',
    '0x1F',
    'Infinity',
    'NaN',
    '1e1234567',
  ])('returns undefined for %j', (text) => {
    expect(parseNumber(text)).toBeUndefined();
  });
});

describe('assertValidNumber', () => {
  it('returns the text unchanged', () => {
    expect(assertValidNumber('1.50E+3', 'n')).toBe('1.50E+3');
  });

  it(`accepts ${MAX_SIGNIFICANT_DIGITS} significant digits and the range limits`, () => {
    expect(
      codeOf(() => assertValidNumber('9.9999999999999999999999999999999999999E+125', 'n')),
    ).toBeUndefined();
    expect(
      codeOf(() => assertValidNumber('-9.9999999999999999999999999999999999999E+125', 'n')),
    ).toBeUndefined();
    expect(codeOf(() => assertValidNumber('1E-130', 'n'))).toBeUndefined();
    expect(codeOf(() => assertValidNumber(`1${'0'.repeat(60)}`, 'n'))).toBeUndefined();
  });

  it.each([
    ['39 significant digits', '1.23456789012345678901234567890123456789'],
    ['exponent 126', '1E126'],
    ['exponent -131', '0.1E-130'],
    ['not a number', 'abc'],
  ])('rejects %s with codec.invalidNumber', (_name, text) => {
    expect(codeOf(() => assertValidNumber(text, 'n'))).toBe(ErrorCodes.codec.invalidNumber);
  });
});
