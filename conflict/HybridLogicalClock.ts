import { MAX_LOGICAL, type Version } from './version.js';

/**
 * A hybrid logical clock (Kulkarni et al., 2014): versions follow wall-clock time when clocks agree,
 * and still grow strictly when the wall clock stalls, steps back, or lags a version seen from
 * another region.
 *
 * ```
 * wall   1000   1000   999    (received 1005.3)   1001
 * now()  1000.0 1000.1 1000.2                     1005.4
 * ```
 *
 * @example
 * const clock = new HybridLogicalClock('eu-west-1');
 * const v = clock.now();         // { physicalMs: Date.now(), logical: 0, origin: 'eu-west-1' }
 * clock.receive(storedVersion);  // never stamp below a version already stored
 */
export class HybridLogicalClock {
  private physicalMs = 0;
  private logical = 0;

  public constructor(
    private readonly origin: string,
    private readonly wallClock: () => number = Date.now,
  ) {}

  /** A new version, strictly newer than every version this clock issued or received. */
  public now(): Version {
    const wall = this.wallClock();
    if (wall > this.physicalMs) {
      this.physicalMs = wall;
      this.logical = 0;
    } else {
      this.tick();
    }
    return { physicalMs: this.physicalMs, logical: this.logical, origin: this.origin };
  }

  /** Moves the clock past a version seen elsewhere, so the next {@link now} is newer than it. */
  public receive(seen: Version): void {
    if (
      seen.physicalMs > this.physicalMs ||
      (seen.physicalMs === this.physicalMs && seen.logical > this.logical)
    ) {
      this.physicalMs = seen.physicalMs;
      this.logical = seen.logical;
    }
  }

  private tick(): void {
    if (this.logical >= MAX_LOGICAL) {
      this.physicalMs += 1;
      this.logical = 0;
    } else {
      this.logical += 1;
    }
  }
}
