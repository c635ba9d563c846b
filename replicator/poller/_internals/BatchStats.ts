import { type BatchResult, type SkipReason, SkipReasons } from '../../types.js';

/** Counts summed over the batches of one stats interval. */
export interface StatsSnapshot {
  batches: number;
  records: number;
  applied: number;
  stale: number;
  deadLettered: number;
  unfinished: number;
  retried: number;
  skipped: number;
  skippedBy: Record<SkipReason, number>;
  /** Replication lag of the last batch that applied something, ms. */
  lagMs: number | undefined;
  /** Highest replication lag of the interval, ms. */
  maxLagMs: number | undefined;
  /** Age of the newest record read, when it was read (the `IteratorAge` of Lambda), ms. */
  iteratorAgeMs: number | undefined;
}

const empty = (): StatsSnapshot => ({
  batches: 0,
  records: 0,
  applied: 0,
  stale: 0,
  deadLettered: 0,
  unfinished: 0,
  retried: 0,
  skipped: 0,
  skippedBy: Object.fromEntries(Object.values(SkipReasons).map((reason) => [reason, 0])) as Record<
    SkipReason,
    number
  >,
  lagMs: undefined,
  maxLagMs: undefined,
  iteratorAgeMs: undefined,
});

/** Sums batch results between two stats log lines. */
export class BatchStats {
  private current = empty();

  public add(result: BatchResult, iteratorAgeMs: number | undefined): void {
    const { counts } = result;
    const stats = this.current;
    stats.batches += 1;
    stats.records += counts.records;
    stats.applied += counts.applied;
    stats.stale += counts.stale;
    stats.deadLettered += counts.deadLettered;
    stats.unfinished += counts.unfinished;
    stats.retried += counts.retried;
    for (const [reason, count] of Object.entries(counts.skipped) as Array<[SkipReason, number]>) {
      stats.skipped += count;
      stats.skippedBy[reason] += count;
    }
    if (result.lagMs !== undefined) {
      stats.lagMs = result.lagMs;
      stats.maxLagMs = Math.max(stats.maxLagMs ?? 0, result.lagMs);
    }
    if (iteratorAgeMs !== undefined) stats.iteratorAgeMs = iteratorAgeMs;
  }

  /** The sums since the last call, and a fresh start. */
  public take(): StatsSnapshot {
    const taken = this.current;
    this.current = empty();
    return taken;
  }
}
