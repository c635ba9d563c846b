import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../core/async/backoffDelay.js';
import { checkProperty } from '../../helpers/laws.js';

describe('backoffDelay', () => {
  it('law: 0 <= delay < min(max, base * 2^attempt), and delay <= max', () => {
    checkProperty(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 1, max: 300_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, base, max, r) => {
          const delay = backoffDelay(attempt, base, max, () => r);

          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(max);
          expect(delay).toBeLessThan(Math.min(max, base * 2 ** Math.min(attempt, 30)));
        },
      ),
      300,
    );
  });

  it('doubles the ceiling each attempt until the maximum', () => {
    const almostOne = () => 0.999999;

    expect([0, 1, 2, 3, 10].map((attempt) => backoffDelay(attempt, 25, 150, almostOne))).toStrictEqual([
      24, 49, 99, 149, 149,
    ]);
    expect(backoffDelay(5, 25, 2_000, () => 0)).toBe(0);
  });
});
