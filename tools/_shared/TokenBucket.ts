import { setTimeout as delay } from 'node:timers/promises';

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Units added per second. */
  readonly ratePerSecond: number;
  /** Most units saved up while idle. @default ratePerSecond (one second's worth) */
  readonly burst?: number;
  /** Monotonic clock, ms. @default performance.now */
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  delay(ms, undefined, signal === undefined ? undefined : { signal });

/**
 * A token bucket for read capacity units, shared by every request to one table. A request
 * {@link reserve}s its expected cost before it is sent (waiting while the bucket is short) and
 * {@link settle}s the cost DynamoDB reported after, so pages of unknown cost still average out to
 * the rate. It may go into debt by one page; the next requests wait it off.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  public constructor(private readonly options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0))
      throw new Error(`TokenBucket: ratePerSecond must be > 0, got ${options.ratePerSecond}`);
    this.burst = options.burst ?? options.ratePerSecond;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? defaultSleep;
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** Units added per second. */
  public rate(): number {
    return this.options.ratePerSecond;
  }

  /** Units available now (negative in debt). */
  public available(): number {
    this.refill();
    return this.tokens;
  }

  /** Waits until `units` (at most a burst) are available, then takes them. */
  public async reserve(units: number, signal?: AbortSignal): Promise<void> {
    const needed = Math.min(Math.max(units, 0), this.burst);
    for (;;) {
      this.refill();
      if (this.tokens >= needed) {
        this.tokens -= units;
        return;
      }
      const waitMs = ((needed - this.tokens) / this.options.ratePerSecond) * 1000;
      await this.sleep(Math.max(1, Math.ceil(waitMs)), signal);
    }
  }

  /** Corrects a reservation with the cost DynamoDB reported. */
  public settle(reserved: number, actual: number): void {
    this.tokens += reserved - actual;
  }

  private refill(): void {
    const at = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((at - this.last) / 1000) * this.options.ratePerSecond);
    this.last = at;
  }
}
