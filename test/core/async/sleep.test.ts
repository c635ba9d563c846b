import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '../../../core/async/sleep.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** True once `promise` has settled (after the microtasks queued so far). */
const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await Promise.resolve();
  await Promise.resolve();
  return done;
};

describe('sleep', () => {
  it('resolves after ms, not before', async () => {
    const wait = sleep(100);
    await vi.advanceTimersByTimeAsync(99);
    expect(await settled(wait)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(wait)).toBe(true);
  });

  it('resolves (never rejects) as soon as the signal aborts, and leaves no listener', async () => {
    const controller = new AbortController();
    const wait = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(wait).resolves.toBeUndefined();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves at once for an aborted signal or a wait of 0', async () => {
    expect(await settled(sleep(60_000, AbortSignal.abort()))).toBe(true);
    expect(await settled(sleep(0))).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('detaches from the signal when the time is up', async () => {
    const controller = new AbortController();
    const wait = sleep(10, controller.signal);
    await vi.advanceTimersByTimeAsync(10);
    await wait;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
