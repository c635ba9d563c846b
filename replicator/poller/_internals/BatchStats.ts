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

/** Running totals at one peer since the poller started. */
export interface PeerTotals {
  applied: number;
  stale: number;
  /** Physical time (`_ds_v`) of the newest version applied at the peer, epoch ms. */
  lastAppliedVersionMs: number | undefined;
}

/** Totals since the poller started, for the status file, the live line and the summary. */
export interface TotalsSnapshot {
  readonly batches: number;
  readonly records: number;
  readonly applied: number;
  readonly stale: number;
  readonly deadLettered: number;
  readonly unfinished: number;
  readonly skipped: number;
  readonly peers: Readonly<Record<string, Readonly<PeerTotals>>>;
  /** Physical time (`_ds_v`) of the newest version applied anywhere, epoch ms. */
  readonly lastAppliedVersionMs: number | undefined;
  /** When that batch was processed, epoch ms (by the injected clock). */
  readonly lastAppliedAtMs: number | undefined;
  /**
   * True lag of the last batch that applied something: when it was processed minus the version time
   * of its newest applied change, ms. Needs writer clocks in sync (HLC versions are wall-clock based).
   */
  readonly versionLagMs: number | undefined;
  /** Lag of the same batch from stream times (coarse on DynamoDB Local: whole minutes), ms. */
  readonly streamLagMs: number | undefined;
}

/**
 * Sums batch results from the start of a poller: never reset (unlike {@link BatchStats}).
 *
 * ```
 *   write stamped v (physical T) ──► stream ──► batch processed at P ──► versionLagMs = P − T
 * ```
 */
export class RunningTotals {
  private batches = 0;
  private records = 0;
  private applied = 0;
  private stale = 0;
  private deadLettered = 0;
  private unfinished = 0;
  private skipped = 0;
  private readonly peers: Record<string, PeerTotals> = {};
  private lastAppliedVersionMs: number | undefined;
  private lastAppliedAtMs: number | undefined;
  private versionLagMs: number | undefined;
  private streamLagMs: number | undefined;

  /** @param peers peers to list even before anything was shipped to them. */
  public constructor(peers: readonly string[] = []) {
    for (const peer of peers) this.peers[peer] = { applied: 0, stale: 0, lastAppliedVersionMs: undefined };
  }

  /** Adds one batch, processed at `nowMs`. */
  public add(result: BatchResult, nowMs: number): void {
    const { counts } = result;
    this.batches += 1;
    this.records += counts.records;
    this.applied += counts.applied;
    this.stale += counts.stale;
    this.deadLettered += counts.deadLettered;
    this.unfinished += counts.unfinished;
    for (const count of Object.values(counts.skipped)) this.skipped += count;
    let newestInBatch: number | undefined;
    for (const [name, peer] of Object.entries(result.peers ?? {})) {
      this.peers[name] ??= { applied: 0, stale: 0, lastAppliedVersionMs: undefined };
      const totals = this.peers[name];
      totals.applied += peer.applied;
      totals.stale += peer.stale;
      if (peer.newestAppliedVersionMs !== undefined) {
        totals.lastAppliedVersionMs = Math.max(totals.lastAppliedVersionMs ?? 0, peer.newestAppliedVersionMs);
        newestInBatch = Math.max(newestInBatch ?? 0, peer.newestAppliedVersionMs);
      }
    }
    if (counts.applied > 0) {
      this.lastAppliedAtMs = nowMs;
      if (result.lagMs !== undefined) this.streamLagMs = result.lagMs;
      if (newestInBatch !== undefined) {
        this.versionLagMs = Math.max(0, nowMs - newestInBatch);
        this.lastAppliedVersionMs = Math.max(this.lastAppliedVersionMs ?? 0, newestInBatch);
      }
    }
  }

  public snapshot(): TotalsSnapshot {
    return {
      batches: this.batches,
      records: this.records,
      applied: this.applied,
      stale: this.stale,
      deadLettered: this.deadLettered,
      unfinished: this.unfinished,
      skipped: this.skipped,
      peers: Object.fromEntries(Object.entries(this.peers).map(([name, peer]) => [name, { ...peer }])),
      lastAppliedVersionMs: this.lastAppliedVersionMs,
      lastAppliedAtMs: this.lastAppliedAtMs,
      versionLagMs: this.versionLagMs,
      streamLagMs: this.streamLagMs,
    };
  }
}
