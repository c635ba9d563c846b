import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { expect } from 'vitest';
import { DynasyncError } from '../../core/errors.js';

/**
 * Reusable laws for property tests, and the one place that sets fast-check's run parameters.
 *
 * Replay a failure in CI or locally with the seed (and path) fast-check printed:
 * `FC_SEED=1234 FC_PATH="3:1" npx vitest run test/conflict`. `FC_NUM_RUNS` overrides the run count.
 */

const envNumber = (name: string): number | undefined => {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
};

/** fast-check parameters: a replayable seed from `FC_SEED`/`FC_PATH`, else a fresh seed (printed on failure). */
export const propertyParameters = <Ts>(numRuns = 100): fc.Parameters<Ts> => {
  const seed = envNumber('FC_SEED');
  const path = process.env.FC_PATH;
  return {
    numRuns: envNumber('FC_NUM_RUNS') ?? numRuns,
    ...(seed === undefined ? {} : { seed }),
    ...(seed !== undefined && path !== undefined && path !== '' ? { path } : {}),
  };
};

/** Runs a synchronous property with {@link propertyParameters}. */
export const checkProperty = <Ts>(property: fc.IProperty<Ts>, numRuns = 100): void =>
  fc.assert(property, propertyParameters<Ts>(numRuns));

/** Runs an asynchronous property with {@link propertyParameters}. */
export const checkAsyncProperty = <Ts>(property: fc.IAsyncProperty<Ts>, numRuns = 100): Promise<void> =>
  fc.assert(property, propertyParameters<Ts>(numRuns));

/**
 * Deep strict equality (own properties, prototypes, typed-array bytes) with vitest's diff on failure.
 * Unlike `toStrictEqual` it is not fooled by data holding an attribute named `constructor`.
 */
export const expectDeepEqual = (actual: unknown, expected: unknown, message?: string): void => {
  if (isDeepStrictEqual(actual, expected)) return;
  expect(actual, message).toEqual(expected);
  expect.fail(`${message ?? 'values'} differ (prototypes or property kinds)`);
};

const sign = (value: number): number => (value > 0 ? 1 : value < 0 ? -1 : 0);

/** Byte order of two strings' UTF-8 encodings: what DynamoDB uses to compare `S` values. */
export const compareBytes = (a: string, b: string): number =>
  sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

/**
 * Law: `compare` is a total order on the values of `arb`.
 * Reflexive (`a ~ a`), antisymmetric (`sign(a,b) = -sign(b,a)`), transitive (`a ≤ b ≤ c ⇒ a ≤ c`,
 * strictly when either step is strict), and, given `equal`, `compare(a, b) = 0 ⇔ equal(a, b)`.
 */
export const assertTotalOrder = <T>(
  arb: fc.Arbitrary<T>,
  compare: (a: T, b: T) => number,
  options: { equal?: (a: T, b: T) => boolean; numRuns?: number } = {},
): void => {
  const { equal, numRuns = 200 } = options;
  checkProperty(
    fc.property(arb, arb, arb, (a, b, c) => {
      expect(compare(a, a), 'reflexive').toBe(0);
      expect(sign(compare(a, b)) + sign(compare(b, a)), 'antisymmetric').toBe(0);
      const ab = sign(compare(a, b));
      const bc = sign(compare(b, c));
      if (ab <= 0 && bc <= 0) {
        const ac = sign(compare(a, c));
        expect(ac, 'transitive').toBeLessThanOrEqual(0);
        if (ab < 0 || bc < 0) expect(ac, 'transitive (strict)').toBe(-1);
      }
      if (equal !== undefined) expect(compare(a, b) === 0, 'zero exactly for equal values').toBe(equal(a, b));
    }),
    numRuns,
  );
};

/** Law: `order` agrees in sign with the byte order of `key` (an order-preserving encoding). */
export const assertOrderPreserving = <T>(
  arb: fc.Arbitrary<T>,
  order: (a: T, b: T) => number,
  key: (value: T) => string,
  numRuns = 200,
): void => {
  checkProperty(
    fc.property(arb, arb, (a, b) => {
      expect(compareBytes(key(a), key(b))).toBe(sign(order(a, b)));
    }),
    numRuns,
  );
};

/** Law: `back(there(x))` equals `x`. */
export const assertRoundTrip = <T, U>(
  arb: fc.Arbitrary<T>,
  there: (value: T) => U,
  back: (encoded: U) => T,
  numRuns = 200,
): void => {
  checkProperty(
    fc.property(arb, (value) => {
      expectDeepEqual(back(there(value)), value);
    }),
    numRuns,
  );
};

/** Law: `f(f(x))` equals `f(x)`. */
export const assertIdempotent = <T>(arb: fc.Arbitrary<T>, f: (value: T) => T, numRuns = 200): void => {
  checkProperty(
    fc.property(arb, (value) => {
      const once = f(value);
      expectDeepEqual(f(once), once);
    }),
    numRuns,
  );
};

/** Law: each value is strictly greater than the one before it. */
export const assertStrictlyIncreasing = <T>(values: readonly T[], compare: (a: T, b: T) => number): void => {
  for (let i = 1; i < values.length; i += 1) {
    if (compare(values[i - 1]!, values[i]!) >= 0) {
      expect.fail(
        `not strictly increasing at ${i}: ${JSON.stringify(values[i - 1])} then ${JSON.stringify(values[i])}`,
      );
    }
  }
};

/**
 * Law (convergence): every replica's state equals the expected state. The failure names the
 * replicas that differ and shows the first difference.
 */
export const assertConverges = <T>(replicas: Readonly<Record<string, T>>, expected: T): void => {
  const diverged = Object.entries(replicas).filter(([, state]) => !isDeepStrictEqual(state, expected));
  if (diverged.length > 0) {
    const [name, state] = diverged[0]!;
    expectDeepEqual(
      state,
      expected,
      `replicas ${diverged.map(([n]) => n).join(', ')} diverged; first: ${name}`,
    );
  }
};

/**
 * The DynasyncError a call throws; fails the test when it throws nothing (or something else).
 * @example expect(dynasyncErrorOf(() => parseConfig(doc)).code).toBe('config.invalidField')
 */
export const dynasyncErrorOf = (run: () => unknown): DynasyncError => {
  try {
    run();
  } catch (error) {
    if (error instanceof DynasyncError) return error;
    throw error;
  }
  return expect.fail('expected a DynasyncError, but the call succeeded');
};

/** Law: `f(a, b)` equals `f(b, a)` for every pair `arb` yields. */
export const assertCommutative = <T>(
  arb: fc.Arbitrary<readonly [T, T, ...T[]]>,
  f: (a: T, b: T) => T,
  numRuns = 200,
): void => {
  checkProperty(
    fc.property(arb, ([a, b]) => {
      expectDeepEqual(f(a, b), f(b, a), 'f(a, b) = f(b, a)');
    }),
    numRuns,
  );
};

/** Law: `f(f(a, b), c)` equals `f(a, f(b, c))` for every triple `arb` yields. */
export const assertAssociative = <T>(
  arb: fc.Arbitrary<readonly [T, T, T, ...T[]]>,
  f: (a: T, b: T) => T,
  numRuns = 200,
): void => {
  checkProperty(
    fc.property(arb, ([a, b, c]) => {
      expectDeepEqual(f(f(a, b), c), f(a, f(b, c)), 'f(f(a, b), c) = f(a, f(b, c))');
    }),
    numRuns,
  );
};

/** Law: `f(a, a)` equals `a` (a binary operation is idempotent). */
export const assertIdempotentMerge = <T>(
  arb: fc.Arbitrary<readonly [T, ...T[]]>,
  f: (a: T, b: T) => T,
  numRuns = 200,
): void => {
  checkProperty(
    fc.property(arb, ([a]) => {
      expectDeepEqual(f(a, a), a, 'f(a, a) = a');
    }),
    numRuns,
  );
};
