import { describe, expect, it } from 'vitest';
import { retryTransient } from '../../replicator/_internals/retryTransient.js';
import { awsError } from '../helpers/factories.js';
import { fakeClock } from '../helpers/fakeClock.js';

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
});
