import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { retryTransient } from '../../replicator/_internals/retryTransient.js';
import { awsError } from '../helpers/factories.js';

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

describe('retryTransient', () => {
  it('retries transient failures until the call succeeds', async () => {
    const clock = fakeClock();
    let calls = 0;
    const retries: string[] = [];

    const result = await retryTransient(
      async () => {
        calls += 1;
        if (calls < 3) throw awsError('ThrottlingException');
        return 'described';
      },
      {
        baseDelayMs: 1,
        maxDelayMs: 2,
        now: clock.now,
        sleep: clock.sleep,
        onRetry: (error) => retries.push((error as Error).name),
      },
    );

    expect(result).toBe('described');
    expect(retries).toEqual(['ThrottlingException', 'ThrottlingException']);
  });

  it('throws at once for permanent errors and for configuration outages (missing table, refused credentials)', async () => {
    for (const name of ['ValidationException', 'ResourceNotFoundException', 'AccessDeniedException']) {
      const clock = fakeClock();
      let calls = 0;
      const attempt = retryTransient(
        async () => {
          calls += 1;
          throw awsError(name);
        },
        { now: clock.now, sleep: clock.sleep },
      );
      await expect(attempt).rejects.toMatchObject({ name });
      expect(calls).toBe(1);
      expect(clock.delays).toEqual([]);
    }
  });

  it('gives up with the last transient error when the budget is spent', async () => {
    // Budget 30 ms, every wait 10 ms: attempts at t = 0, 10, 20, 30; the next wait would end at 40.
    const clock = fakeClock();
    let calls = 0;
    const attempt = retryTransient(
      async () => {
        calls += 1;
        throw awsError('InternalServerError', { message: `attempt ${calls}` });
      },
      { budgetMs: 30, baseDelayMs: 10, maxDelayMs: 10, now: clock.now, sleep: clock.sleep },
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
    const attempt = retryTransient(
      async () => {
        calls += 1;
        clock.ms += 25;
        throw awsError('InternalServerError');
      },
      { budgetMs: 30, baseDelayMs: 10, maxDelayMs: 10, now: clock.now, sleep: clock.sleep },
    );

    await expect(attempt).rejects.toMatchObject({ name: 'InternalServerError' });
    expect(calls).toBe(1);
    expect(clock.delays).toEqual([]);
  });

  it('throws at once a transient error the caller marks final (a request timeout at start-up)', async () => {
    const clock = fakeClock();
    let calls = 0;
    const attempt = retryTransient(
      async () => {
        calls += 1;
        throw awsError('TimeoutError');
      },
      { now: clock.now, sleep: clock.sleep, isFinal: (error) => (error as Error).name === 'TimeoutError' },
    );

    await expect(attempt).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(calls).toBe(1);
  });

  it('leaves no abort listener on the signal once a wait is over', async () => {
    const controller = new AbortController();
    let calls = 0;

    const result = await retryTransient(
      async () => {
        calls += 1;
        if (calls < 4) throw awsError('ThrottlingException');
        return getEventListeners(controller.signal, 'abort').length;
      },
      { baseDelayMs: 1, maxDelayMs: 1, random: () => 0, signal: controller.signal },
    );

    expect(calls).toBe(4);
    expect(result, 'listeners left by three finished waits').toBe(0);
  });

  it('stops retrying once the signal has aborted', async () => {
    const controller = new AbortController();
    const clock = fakeClock();
    let calls = 0;

    const attempt = retryTransient(
      async () => {
        calls += 1;
        if (calls === 2) controller.abort();
        throw awsError('ThrottlingException');
      },
      { now: clock.now, sleep: clock.sleep, signal: controller.signal },
    );

    await expect(attempt).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(calls).toBe(2);
  });
});
