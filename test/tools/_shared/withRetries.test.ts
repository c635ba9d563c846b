import { describe, expect, it } from 'vitest';
import { DynasyncError, ErrorCodes } from '../../../core/errors.js';
import { withRetries } from '../../../tools/_shared/withRetries.js';
import { awsError } from '../../helpers/factories.js';

const policy = (waits: number[]) => ({
  attempts: 4,
  baseDelayMs: 50,
  maxDelayMs: 5_000,
  random: () => 0.5,
  sleep: async (ms: number) => {
    waits.push(ms);
  },
});

describe("withRetries (the tools' preset of retry)", () => {
  it('retries transient errors for policy.attempts attempts, without a floor on the jittered wait', async () => {
    const waits: number[] = [];
    let calls = 0;
    const attempt = withRetries(async () => {
      calls += 1;
      throw awsError('ThrottlingException');
    }, policy(waits));

    await expect(attempt).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(calls).toBe(4);
    expect(waits).toEqual([25, 50, 100]);
  });

  it("throws a DynasyncError (a page handler's own) and a permanent error at once", async () => {
    for (const error of [
      new DynasyncError(ErrorCodes.replicator.writeRejected, 'handler failed'),
      awsError('ValidationException', { status: 400 }),
    ]) {
      const waits: number[] = [];
      let calls = 0;
      const attempt = withRetries(async () => {
        calls += 1;
        throw error;
      }, policy(waits));
      await expect(attempt).rejects.toBe(error);
      expect(calls).toBe(1);
      expect(waits).toEqual([]);
    }
  });

  it('by default stops waiting with an AbortError when the signal aborts, sending no further call', async () => {
    const controller = new AbortController();
    let calls = 0;
    const attempt = withRetries(
      async () => {
        calls += 1;
        setImmediate(() => controller.abort());
        throw awsError('ThrottlingException');
      },
      { attempts: 10, baseDelayMs: 60_000, maxDelayMs: 60_000, random: () => 0.99 },
      controller.signal,
    );

    await expect(attempt).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toBe(1);
  });
});
