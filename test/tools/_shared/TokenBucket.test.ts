import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../tools/_shared/TokenBucket.js';
import { checkAsyncProperty } from '../../helpers/laws.js';

describe('TokenBucket', () => {
  it('never lets consumption exceed rate × time + one burst + one page of debt', async () => {
    await checkAsyncProperty(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 500 }),
        fc.array(fc.double({ min: 0.5, max: 200, noNaN: true }), { minLength: 1, maxLength: 60 }),
        async (rate, pages) => {
          let clock = 0;
          const bucket = new TokenBucket({
            ratePerSecond: rate,
            now: () => clock,
            sleep: async (ms) => {
              clock += ms;
            },
          });
          let consumed = 0;
          let largest = 0;
          for (const cost of pages) {
            await bucket.reserve(1);
            bucket.settle(1, cost);
            consumed += cost;
            largest = Math.max(largest, cost);
            expect(consumed).toBeLessThanOrEqual((clock / 1000) * rate + rate + largest + 1e-6);
          }
        },
      ),
      100,
    );
  });

  it('waits off a debt before the next request', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const bucket = new TokenBucket({
      ratePerSecond: 10,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    await bucket.reserve(1);
    bucket.settle(1, 30); // a page cost 30 units: 20 in debt after the 10 of the burst
    await bucket.reserve(1);
    expect(clock).toBeGreaterThanOrEqual(2_000);
    expect(sleeps.length).toBeGreaterThan(0);
  });
});
