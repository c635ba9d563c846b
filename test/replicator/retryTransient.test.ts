import { describe, expect, it } from 'vitest';
import { retryTransient } from '../../replicator/_internals/retryTransient.js';
import { awsError } from '../helpers/factories.js';

describe('retryTransient', () => {
  it('retries transient failures until the call succeeds', async () => {
    let calls = 0;
    const retries: string[] = [];

    const result = await retryTransient(
      async () => {
        calls += 1;
        if (calls < 3) throw awsError('ThrottlingException');
        return 'described';
      },
      { baseDelayMs: 1, maxDelayMs: 2, onRetry: (error) => retries.push((error as Error).name) },
    );

    expect(result).toBe('described');
    expect(retries).toEqual(['ThrottlingException', 'ThrottlingException']);
  });

  it('throws at once for permanent errors and for configuration outages (missing table, refused credentials)', async () => {
    for (const name of ['ValidationException', 'ResourceNotFoundException', 'AccessDeniedException']) {
      let calls = 0;
      const attempt = retryTransient(async () => {
        calls += 1;
        throw awsError(name);
      });
      await expect(attempt).rejects.toMatchObject({ name });
      expect(calls).toBe(1);
    }
  });

  it('gives up with the last transient error when the budget is spent', async () => {
    let calls = 0;
    const attempt = retryTransient(
      async () => {
        calls += 1;
        throw awsError('InternalServerError');
      },
      { budgetMs: 30, baseDelayMs: 10, maxDelayMs: 10 },
    );

    await expect(attempt).rejects.toMatchObject({ name: 'InternalServerError' });
    expect(calls).toBeGreaterThan(1);
  });
});
