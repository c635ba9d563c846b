import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency, isThrottle } from '../../../../tools/_shared/writeItems/AdaptiveConcurrency.js';

describe('AdaptiveConcurrency', () => {
  it('halves on throttling down to 1 and grows back by one per limit successes', () => {
    const slots = new AdaptiveConcurrency(8);
    slots.onThrottle();
    expect(slots.limit).toBe(4);
    slots.onThrottle();
    slots.onThrottle();
    slots.onThrottle();
    expect(slots.limit).toBe(1);
    expect(slots.minimum).toBe(1);
    slots.onSuccess();
    expect(slots.limit).toBe(2);
    slots.onSuccess();
    expect(slots.limit).toBe(2);
    slots.onSuccess();
    expect(slots.limit).toBe(3);
    for (let i = 0; i < 100; i += 1) slots.onSuccess();
    expect(slots.limit).toBe(8);
  });

  it('never runs more tasks at once than the limit, even as it drops', async () => {
    const slots = new AdaptiveConcurrency(6);
    let running = 0;
    let peakAfterDrop = 0;
    let dropped = false;
    const task = async (index: number) => {
      running += 1;
      if (dropped) peakAfterDrop = Math.max(peakAfterDrop, running);
      await new Promise((resolve) => setTimeout(resolve, 1 + (index % 3)));
      running -= 1;
    };
    const first = Array.from({ length: 6 }, (_, i) => slots.run(() => task(i)));
    await Promise.all(first);
    slots.onThrottle(); // 3
    dropped = true;
    await Promise.all(Array.from({ length: 30 }, (_, i) => slots.run(() => task(i))));
    expect(peakAfterDrop).toBeGreaterThan(0);
    expect(peakAfterDrop).toBeLessThanOrEqual(3);
  });

  it('runs every one of thousands of queued tasks, in order of arrival, within the limit', async () => {
    const slots = new AdaptiveConcurrency(4);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 3_000 }, (_, i) =>
        slots.run(async () => {
          started.push(i);
          running += 1;
          peak = Math.max(peak, running);
          await Promise.resolve();
          running -= 1;
        }),
      ),
    );
    expect(started).toHaveLength(3_000);
    expect(peak).toBeLessThanOrEqual(4);
    expect(started).toEqual([...started].sort((a, b) => a - b));
  });

  it('recognises throttling errors by name', () => {
    expect(isThrottle({ name: 'ProvisionedThroughputExceededException' })).toBe(true);
    expect(isThrottle({ name: 'ThrottlingException' })).toBe(true);
    expect(isThrottle({ name: 'ConditionalCheckFailedException' })).toBe(false);
    expect(isThrottle(undefined)).toBe(false);
  });
});
