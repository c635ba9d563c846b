/**
 * A semaphore whose limit adapts to throttling (additive increase, multiplicative decrease): a
 * throttled write halves the writes in flight allowed (down to 1), and every `limit` successes in a
 * row add one back (up to `max`). So a backfill eases off when the target, or the table's
 * partitions, push back, and returns to full speed when they stop.
 *
 * ```
 * limit 32 ──throttle──► 16 ──throttle──► 8 ··· 8 successes ··► 9 ··· 9 ··► 10 … ► 32
 * ```
 */
export class AdaptiveConcurrency {
  private current: number;
  private inFlight = 0;
  private streak = 0;
  private lowest: number;
  /** Waiting tasks, oldest at `head` (a queue without O(n) shifts: thousands wait while a page is written). */
  private waiters: Array<() => void> = [];
  private head = 0;

  public constructor(private readonly max: number) {
    this.current = max;
    this.lowest = max;
  }

  /** Writes in flight allowed now. */
  public get limit(): number {
    return this.current;
  }

  /** The lowest the limit went. */
  public get minimum(): number {
    return this.lowest;
  }

  /** Runs `task` once a slot is free. */
  public async run<T>(task: () => Promise<T>): Promise<T> {
    while (this.inFlight >= this.current) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.inFlight += 1;
    try {
      return await task();
    } finally {
      this.inFlight -= 1;
      this.wake();
    }
  }

  /** A write succeeded (or was stale): the limit grows back by one per `limit` in a row. */
  public onSuccess(): void {
    if (this.current >= this.max) return;
    this.streak += 1;
    if (this.streak >= this.current) {
      this.streak = 0;
      this.current += 1;
      this.wake();
    }
  }

  /** A write was throttled: halve the limit. */
  public onThrottle(): void {
    this.streak = 0;
    this.current = Math.max(1, Math.floor(this.current / 2));
    this.lowest = Math.min(this.lowest, this.current);
  }

  /** Wakes one waiter; it checks for a free slot again (waking too many is harmless). */
  private wake(): void {
    if (this.head >= this.waiters.length) return;
    const next = this.waiters[this.head]!;
    this.head += 1;
    if (this.head > 1_024 && this.head * 2 > this.waiters.length) {
      this.waiters = this.waiters.slice(this.head);
      this.head = 0;
    }
    next();
  }
}

/** True for DynamoDB's throttling errors (table, partition or account limits). */
export const isThrottle = (error: unknown): boolean => {
  const name = (error as { name?: unknown } | null)?.name;
  return (
    typeof name === 'string' &&
    (name === 'ProvisionedThroughputExceededException' ||
      name === 'ThrottlingException' ||
      name === 'RequestLimitExceeded' ||
      name.includes('Throttl'))
  );
};
