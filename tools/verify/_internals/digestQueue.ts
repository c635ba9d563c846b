import type { WireItem } from '../../../core/types.js';

/** Parsed pages waiting to be digested behind the scan's next request, with back-pressure. */
export interface DigestQueue {
  /** Queues a page; resolves once at most `maxQueued` items wait; throws the digest's first failure. */
  push(items: readonly WireItem[]): Promise<void>;
  /** Resolves once every queued page is digested (or the queue failed). */
  drained(): Promise<void>;
  /** The first failure of the digest, or of {@link DigestQueue.fail}. */
  readonly failure: unknown;
  /** Fails the queue: queued pages are dropped and later pushes throw. */
  fail(error: unknown): void;
}

/**
 * Digests pages one at a time in the order they were pushed, yielding to the event loop between
 * pages so the responses that arrived meanwhile are read first.
 *
 * ```
 * segment 0  req ─ resp ─ parse ─ req ─ resp ─ parse ─ …
 * digest            └──── page 1 ────┘    └──── page 2 ──── …   (≤ maxQueued items queued)
 * ```
 */
export const createDigestQueue = (
  digest: (items: readonly WireItem[]) => Promise<void>,
  maxQueued: number,
): DigestQueue => {
  const queue: Array<readonly WireItem[]> = [];
  let queuedItems = 0;
  let draining: Promise<void> | undefined;
  let failure: unknown;
  const waiters: Array<() => void> = [];
  const wakeAll = () => {
    for (const wake of waiters.splice(0)) wake();
  };
  const fail = (error: unknown) => {
    failure ??= error;
    queue.length = 0;
    queuedItems = 0;
    wakeAll();
  };
  const drain = async (): Promise<void> => {
    try {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        try {
          await digest(next);
        } finally {
          queuedItems -= next.length;
          wakeAll();
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      fail(error);
    } finally {
      draining = undefined;
    }
  };
  return {
    push: async (items) => {
      if (failure !== undefined) throw failure;
      queue.push(items);
      queuedItems += items.length;
      draining ??= drain();
      while (queuedItems > maxQueued && failure === undefined)
        await new Promise<void>((resolve) => waiters.push(resolve));
      if (failure !== undefined) throw failure;
    },
    drained: async () => {
      while (draining !== undefined) await draining;
    },
    get failure() {
      return failure;
    },
    fail: (error) => {
      failure ??= error;
    },
  };
};
