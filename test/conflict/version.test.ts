import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  decodeVersion,
  encodeVersion,
  MAX_LOGICAL,
  streamVersion,
  tryDecodeVersion,
  type Version,
} from '../../conflict/version.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { crowdedVersion, origin, sequenceNumber, version } from '../helpers/arbitraries.js';
import {
  assertOrderPreserving,
  assertRoundTrip,
  assertTotalOrder,
  checkProperty,
  compareBytes,
} from '../helpers/laws.js';

const sameVersion = (a: Version, b: Version): boolean => encodeVersion(a) === encodeVersion(b);

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof DynasyncError ? error.code : 'not a DynasyncError';
  }
};

describe('encodeVersion / decodeVersion', () => {
  it('encodes fixed-width text', () => {
    expect(encodeVersion({ physicalMs: 1_732_320_000_123, logical: 2, origin: 'eu-west-1' })).toBe(
      '001732320000123.000002.eu-west-1',
    );
    expect(encodeVersion({ physicalMs: 5, logical: 0, origin: 'us', sequence: '42' })).toBe(
      `000000000000005.000000.us~${'0'.repeat(38)}42`,
    );
  });

  it('law: decode(encode(v)) equals v', () => {
    assertRoundTrip(version(), encodeVersion, decodeVersion);
  });

  it('law: encode(decode(text)) equals text for every encoded text', () => {
    checkProperty(
      fc.property(version(), (v) => {
        const text = encodeVersion(v);
        expect(encodeVersion(decodeVersion(text))).toBe(text);
      }),
    );
  });

  it('law: the byte order of encodeVersion is the order of compareVersions (same sign)', () => {
    assertOrderPreserving(version(), compareVersions, encodeVersion, 300);
    assertOrderPreserving(crowdedVersion(), compareVersions, encodeVersion, 300);
  });

  it('orders a prefix origin, a longer origin and a derived sequence as the bytes do', () => {
    const plain = { physicalMs: 1, logical: 0, origin: 'eu' };
    const longer = { physicalMs: 1, logical: 0, origin: 'eu-west' };
    const derived = { physicalMs: 1, logical: 0, origin: 'eu', sequence: '5' };

    for (const [a, b] of [
      [plain, longer],
      [plain, derived],
      [longer, derived],
    ] as const) {
      expect(Math.sign(compareVersions(a, b))).toBe(compareBytes(encodeVersion(a), encodeVersion(b)));
    }
  });

  it.each([
    ['a negative physical time', { physicalMs: -1, logical: 0, origin: 'eu' }],
    ['a fractional physical time', { physicalMs: 1.5, logical: 0, origin: 'eu' }],
    ['a physical time of 16 digits', { physicalMs: 10 ** 15, logical: 0, origin: 'eu' }],
    ['a logical counter past the maximum', { physicalMs: 1, logical: MAX_LOGICAL + 1, origin: 'eu' }],
    ['a negative logical counter', { physicalMs: 1, logical: -1, origin: 'eu' }],
    ['an upper-case origin', { physicalMs: 1, logical: 0, origin: 'EU' }],
    ['an origin with a dot', { physicalMs: 1, logical: 0, origin: 'eu.west' }],
    ['an empty origin', { physicalMs: 1, logical: 0, origin: '' }],
    ['a sequence of 41 digits', { physicalMs: 1, logical: 0, origin: 'eu', sequence: '1'.repeat(41) }],
    ['a sequence with letters', { physicalMs: 1, logical: 0, origin: 'eu', sequence: '12a' }],
  ])('refuses to encode %s (conflict.invalidVersion)', (_name, v) => {
    expect(codeOf(() => encodeVersion(v))).toBe(ErrorCodes.conflict.invalidVersion);
  });

  it.each([
    '',
    '1.0.eu',
    '001732320000123.000002.EU',
    '001732320000123.000002.eu~12',
    '001732320000123-000002-eu',
    ' 001732320000123.000002.eu',
  ])('refuses to decode %j', (text) => {
    expect(tryDecodeVersion(text)).toBeUndefined();
    expect(codeOf(() => decodeVersion(text))).toBe(ErrorCodes.conflict.invalidVersion);
  });
});

describe('compareVersions', () => {
  it('law: compareVersions is a total order (reflexive, antisymmetric, transitive; 0 only for equal versions)', () => {
    assertTotalOrder(crowdedVersion(), compareVersions, { equal: sameVersion, numRuns: 500 });
    assertTotalOrder(version(), compareVersions, { equal: sameVersion, numRuns: 200 });
  });

  it('orders by physical time, then logical counter, then origin', () => {
    expect(
      compareVersions({ physicalMs: 2, logical: 0, origin: 'a' }, { physicalMs: 1, logical: 9, origin: 'z' }),
    ).toBeGreaterThan(0);
    expect(
      compareVersions({ physicalMs: 1, logical: 1, origin: 'a' }, { physicalMs: 1, logical: 0, origin: 'z' }),
    ).toBeGreaterThan(0);
    expect(
      compareVersions({ physicalMs: 1, logical: 0, origin: 'b' }, { physicalMs: 1, logical: 0, origin: 'a' }),
    ).toBeGreaterThan(0);
    expect(
      compareVersions(
        { physicalMs: 1, logical: 0, origin: 'a', sequence: '10' },
        { physicalMs: 1, logical: 0, origin: 'a', sequence: '9' },
      ),
    ).toBeGreaterThan(0);
  });
});

describe('streamVersion', () => {
  const streamTime = fc.oneof(
    fc.integer({ min: 0, max: 3 }),
    fc.bigInt({ min: 0n, max: 999_999_999_999_998n }).map(Number),
  );

  it('law: a stream version is encodable and keeps the stream time, origin and sequence', () => {
    checkProperty(
      fc.property(streamTime, origin(), sequenceNumber(), (time, region, sequence) => {
        const derived = streamVersion(time, region, sequence);

        expect(derived).toStrictEqual({ physicalMs: time, logical: 0, origin: region, sequence });
        expect(decodeVersion(encodeVersion(derived))).toStrictEqual(derived);
      }),
      300,
    );
  });

  it('law: stream versions order as the stream does: by time, then by sequence number', () => {
    checkProperty(
      fc.property(
        streamTime,
        streamTime,
        origin(),
        sequenceNumber(),
        sequenceNumber(),
        (t1, t2, region, s1, s2) => {
          fc.pre(t1 !== t2 || s1 !== s2);
          const [first, second] =
            t1 < t2 || (t1 === t2 && BigInt(s1) < BigInt(s2))
              ? [
                  [t1, s1],
                  [t2, s2],
                ]
              : [
                  [t2, s2],
                  [t1, s1],
                ];
          expect(
            compareVersions(
              streamVersion(first[0] as number, region, first[1] as string),
              streamVersion(second[0] as number, region, second[1] as string),
            ),
          ).toBeLessThan(0);
        },
      ),
    );
  });
});
