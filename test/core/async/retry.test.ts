import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { retry } from '../../../core/async/retry.js';
import { classifyError, ErrorClasses } from '../../../replicator/classifyError.js';
import { awsError } from '../../helpers/factories.js';
import { fakeClock } from '../../helpers/fakeClock.js';

/** The start-up preset's classification (retryTransient): transient errors are retryable. */
const transient = { retryable: (error: unknown) => classifyError(error) === ErrorClasses.transient };

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

  it.each([
    ['never waits less than minDelayMs, however small the jitter', { minDelayMs: 200 }, [200, 200]],
    ['with no minDelayMs, waits what the jitter picks, 0 included', {}, [0, 0]],
  ])('%s', async (_title, floor, delays) => {
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
        ...floor,
        random: () => 0,
        sleep: clock.sleep,
      },
    );

    expect(clock.delays).toEqual(delays);
  });

  // Moved from retryTransient's tests, with the options its preset passes (same assertions).
  it('gives up with the last transient error when the budget is spent', async () => {
    // Budget 30 ms, every wait 10 ms: attempts at t = 0, 10, 20, 30; the next wait would end at 40.
    const clock = fakeClock();
    let calls = 0;
    const attempt = retry(
      async () => {
        calls += 1;
        throw awsError('InternalServerError', { message: `attempt ${calls}` });
      },
      {
        ...transient,
        budgetMs: 30,
        baseDelayMs: 10,
        maxDelayMs: 10,
        minDelayMs: 10,
        now: clock.now,
        sleep: clock.sleep,
      },
    );

    await expect(attempt).rejects.toMatchObject({ name: 'InternalServerError', message: 'attempt 4' });
    expect(calls).toBe(4);
    expect(clock.delays).toEqual([10, 10, 10]);
    expect(clock.ms).toBe(30);
  });

  it('counts the time the calls themselves take against the budget', async () => {
    // Each call takes 25 ms: after the first one, a 10 ms wait would end at 35 > 30.
    const clock = fakeClock();
    let calls = 0;
    const attempt = retry(
      async () => {
        calls += 1;
        clock.ms += 25;
        throw awsError('InternalServerError');
      },
      {
        ...transient,
        budgetMs: 30,
        baseDelayMs: 10,
        maxDelayMs: 10,
        minDelayMs: 10,
        now: clock.now,
        sleep: clock.sleep,
      },
    );

    await expect(attempt).rejects.toMatchObject({ name: 'InternalServerError' });
    expect(calls).toBe(1);
    expect(clock.delays).toEqual([]);
  });

  it('leaves no abort listener on the signal once a wait is over', async () => {
    const controller = new AbortController();
    let calls = 0;

    const result = await retry(
      async () => {
        calls += 1;
        if (calls < 4) throw awsError('ThrottlingException');
        return getEventListeners(controller.signal, 'abort').length;
      },
      {
        ...transient,
        baseDelayMs: 1,
        maxDelayMs: 1,
        minDelayMs: 1,
        random: () => 0,
        signal: controller.signal,
      },
    );

    expect(calls).toBe(4);
    expect(result, 'listeners left by three finished waits').toBe(0);
  });

  it('stops retrying once the signal has aborted', async () => {
    const controller = new AbortController();
    const clock = fakeClock();
    let calls = 0;

    const attempt = retry(
      async () => {
        calls += 1;
        if (calls === 2) controller.abort();
        throw awsError('ThrottlingException');
      },
      {
        ...transient,
        baseDelayMs: 200,
        maxDelayMs: 5_000,
        now: clock.now,
        sleep: clock.sleep,
        signal: controller.signal,
      },
    );

    await expect(attempt).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(calls).toBe(2);
  });
});
