import type { Difference, DifferenceKind, RepairOutcome, VerifyReport } from '../types.js';
import type { SpillTotals } from './pageSpiller.js';
import type { ScanOutcome } from './scanBothSides.js';
import type { VerifyRun } from './verifyRun.js';

/** What the phases of one run measured, for {@link buildVerifyReport}. */
export interface VerifyMeasures {
  readonly scan: ScanOutcome;
  readonly totals: SpillTotals;
  readonly compared: { readonly splits: number; readonly peakEntries: number };
  readonly candidates: number;
  readonly consistentReads: number;
  readonly spilledBytes: number;
  readonly counts: Readonly<Record<DifferenceKind, number>>;
  readonly repairCounts: Readonly<Record<RepairOutcome, number>>;
  readonly sample: readonly Difference[];
  readonly durationMs: number;
  /** Where each side was read from, when exports (`--from-export`). */
  readonly exports?: VerifyReport['exports'];
}

/** The report of a run (pure): drift decides `inSync`, as do items the pipeline rejected. */
export const buildVerifyReport = (run: VerifyRun, measures: VerifyMeasures): VerifyReport => {
  const { options, settings, rules } = run;
  const { counts, scan, durationMs } = measures;
  const drift = counts.missing + counts.extra + counts.different;
  const rejectedItems = Object.values(run.rejected.counts).reduce((sum, count) => sum + count, 0);
  return {
    from: options.from,
    to: options.to,
    tables: { source: run.sourceTable, target: run.targetTable },
    inSync: drift === 0 && rejectedItems === 0,
    counts: { ...counts },
    pipelineRejected: run.rejected.counts,
    scanned: scan.scanned,
    live: measures.totals.live,
    tombstones: measures.totals.tombstones,
    consumedCapacity: {
      source: Number(scan.consumed.source.toFixed(1)),
      target: Number(scan.consumed.target.toFixed(1)),
      estimated: scan.consumed.estimated,
    },
    settings: {
      segments: settings.segments,
      settleSeconds: settings.settleSeconds,
      settleRounds: settings.settleRounds,
      maxRps: settings.maxRps ?? null,
      topology: options.config.topology.type,
      versionsCompared: rules.compareVersions,
    },
    method: {
      partitions: settings.partitions,
      splits: measures.compared.splits,
      maxEntriesInMemory: settings.maxEntriesInMemory,
      peakEntriesInMemory: measures.compared.peakEntries,
      spilledBytes: measures.spilledBytes,
      candidates: measures.candidates,
      consistentReads: measures.consistentReads,
    },
    ...(options.repair === true
      ? { repair: { dryRun: options.dryRun === true, counts: { ...measures.repairCounts } } }
      : {}),
    ...(measures.exports === undefined ? {} : { exports: measures.exports }),
    durationMs: Math.round(durationMs),
    itemsPerSecond: Math.round((scan.scanned.source + scan.scanned.target) / (durationMs / 1000)),
    sample: [...measures.sample],
  };
};
