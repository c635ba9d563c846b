import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { linkedAbort } from '../../../core/async/linkedAbort.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('linkedAbort', () => {
  it("aborts when the parent does, with the parent's reason", () => {
    const parent = new AbortController();
    const link = linkedAbort(parent.signal);
    const reason = new Error('stop');
    parent.abort(reason);
    expect(link.signal.aborted).toBe(true);
    expect(link.signal.reason).toBe(reason);
  });

  it('starts aborted under an aborted parent', () => {
    const reason = new Error('already');
    const link = linkedAbort(AbortSignal.abort(reason));
    expect(link.signal.reason).toBe(reason);
  });

  it('abort() stops the siblings, never the parent', () => {
    const parent = new AbortController();
    const link = linkedAbort(parent.signal);
    link.abort();
    expect(link.signal.aborted).toBe(true);
    expect(parent.signal.aborted).toBe(false);
  });

  it('works without a parent', () => {
    const link = linkedAbort(undefined);
    expect(link.signal.aborted).toBe(false);
    link.abort();
    expect(link.signal.aborted).toBe(true);
  });

  it('aborts with a TimeoutError after timeoutMs', async () => {
    const link = linkedAbort(new AbortController().signal, 30_000);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(link.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(link.signal.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('dispose() clears the timer and detaches from the parent', () => {
    const parent = new AbortController();
    const link = linkedAbort(parent.signal, 30_000);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    link.dispose();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    parent.abort();
    expect(link.signal.aborted).toBe(false);
  });
});
