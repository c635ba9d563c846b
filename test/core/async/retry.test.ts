import { describe, expect, it } from 'vitest';
import { retry } from '../../../core/async/retry.js';

/** A clock that only moves when the code under test sleeps or a call says it took time. */
const fakeClock = () => {
  const clock = {
    ms: 0,
    delays: [] as number[],
    now: () => clock.ms,
    sleep: async (ms: number) => {
      clock.delays.push(ms);
      clock.ms += ms;
    },
  };
  return clock;
};

class Busy extends Error {
  public override readonly name = 'Busy';
}
const isBusy = (error: unknown): boolean => error instanceof Busy;

describe('retry', () => {
  it('retries retryable failures until the call succeeds, reporting each retry', async () => {
    // Prepare
    const clock = fakeClock();
    let calls = 0;
    const retries: Array<[string, number, number]> = [];

    // Act
    const result = await retry(
      async () => {
        calls += 1;
        if (calls < 3) throw new Busy();
        return 'done';
      },
      {
        retryable: isBusy,
        baseDelayMs: 10,
        maxDelayMs: 100,
        random: () => 0.5,
        now: clock.now,
        sleep: clock.sleep,
        onRetry: (error, attempt, delayMs) => retries.push([(error as Error).name, attempt, delayMs]),
      },
    );

    // Assess: full jitter of 10·2^n at 0.5.
    expect(result).toBe('done');
    expect(retries).toEqual([
      ['Busy', 1, 5],
      ['Busy', 2, 10],
    ]);
    expect(clock.delays).toEqual([5, 10]);
  });

  it('throws at once an error retryable refuses', async () => {
    const clock = fakeClock();
    let calls = 0;
    const attempt = retry(
      async () => {
        calls += 1;
        throw new TypeError('bug');
      },
      { retryable: isBusy, baseDelayMs: 10, maxDelayMs: 10, now: clock.now, sleep: clock.sleep },
    );

    await expect(attempt).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
    expect(clock.delays).toEqual([]);
  });

  it('gives up with the last error after `attempts` attempts (the first included)', async () => {
    const clock = fakeClock();
    let calls = 0;
    const attempt = retry(
      async () => {
        calls += 1;
        throw new Busy(`attempt ${calls}`);
      },
      { retryable: isBusy, attempts: 3, baseDelayMs: 10, maxDelayMs: 10, now: clock.now, sleep: clock.sleep },
    );

    await expect(attempt).rejects.toMatchObject({ message: 'attempt 3' });
    expect(calls).toBe(3);
    expect(clock.delays).toHaveLength(2);
  });

  it("gives up when the next wait would end past the budget, counting the calls' own time", async () => {
    // Budget 30 ms, each call 5 ms, each wait 10 ms: calls start at t = 0, 15, 30; after the third (t = 35) a wait would end at 45 > 30.
    const clock = fakeClock();
    let calls = 0;
    const attempt = retry(
      async () => {
        calls += 1;
        clock.ms += 5;
        throw new Busy(`attempt ${calls}`);
      },
      {
        retryable: isBusy,
        budgetMs: 30,
        baseDelayMs: 10,
        maxDelayMs: 10,
        minDelayMs: 10,
        now: clock.now,
        sleep: clock.sleep,
      },
    );

    await expect(attempt).rejects.toMatchObject({ message: 'attempt 3' });
    expect(clock.delays).toEqual([10, 10]);
    expect(clock.ms).toBe(35);
  });

  it('never waits less than minDelayMs, however small the jitter', async () => {
    const clock = fakeClock();
    let calls = 0;
    await retry(
      async () => {
        calls += 1;
        if (calls < 3) throw new Busy();
      },
      {
        retryable: isBusy,
        baseDelayMs: 200,
        maxDelayMs: 5_000,
        minDelayMs: 200,
        random: () => 0,
        now: clock.now,
        sleep: clock.sleep,
      },
    );

    expect(clock.delays).toEqual([200, 200]);
  });

  it('with no minDelayMs, waits what the jitter picks, 0 included', async () => {
    const clock = fakeClock();
    let calls = 0;
    await retry(
      async () => {
        calls += 1;
        if (calls < 2) throw new Busy();
      },
      { retryable: isBusy, baseDelayMs: 200, maxDelayMs: 5_000, random: () => 0, sleep: clock.sleep },
    );

    expect(clock.delays).toEqual([0]);
  });

  it('stops retrying once the signal has aborted, and hands the signal to each wait', async () => {
    const controller = new AbortController();
    const signals: Array<AbortSignal | undefined> = [];
    let calls = 0;

    const attempt = retry(
      async () => {
        calls += 1;
        if (calls === 2) controller.abort();
        throw new Busy();
      },
      {
        retryable: isBusy,
        baseDelayMs: 1,
        maxDelayMs: 1,
        signal: controller.signal,
        sleep: async (_ms, signal) => {
          signals.push(signal);
        },
      },
    );

    await expect(attempt).rejects.toBeInstanceOf(Busy);
    expect(calls).toBe(2);
    expect(signals).toEqual([controller.signal]);
  });
});
