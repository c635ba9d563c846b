import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { abortableDelay } from '../../../core/async/abortableDelay.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('abortableDelay', () => {
  it('resolves after ms', async () => {
    const wait = abortableDelay(100);
    await vi.advanceTimersByTimeAsync(100);
    await expect(wait).resolves.toBeUndefined();
  });

  it('rejects with an AbortError as soon as the signal aborts (unlike sleep, which resolves)', async () => {
    const controller = new AbortController();
    const wait = abortableDelay(60_000, controller.signal);
    controller.abort();
    await expect(wait).rejects.toMatchObject({ name: 'AbortError' });
  });
});
