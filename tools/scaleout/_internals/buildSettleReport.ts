import type { Config } from '../../../core/config/types.js';
import type { ComparisonRules } from '../../verify/digest.js';
import type { SettleTotals } from '../../verify/settleCandidates.js';
import type { Difference, DifferenceKind, VerifyReport } from '../../verify/types.js';
import type { SettleInputs } from './gatherSettleInputs.js';
import type { VerifyJob } from './verifyJob.js';

/** Everything a scale-out verify report is made of. */
export interface SettleReportInput {
  readonly jobId: string;
  readonly job: VerifyJob;
  readonly config: Config;
  readonly rules: ComparisonRules;
  readonly inputs: SettleInputs;
  /** Candidates after merging. */
  readonly candidates: number;
  readonly settled: SettleTotals;
  readonly counts: Record<DifferenceKind, number>;
  /** Drift first, then settled differences: the report keeps the first `sampleSize`. */
  readonly sample: readonly Difference[];
  readonly sampleSize: number;
  /** Wall clock at the end, epoch ms. */
  readonly nowMs: number;
}

/** The job's {@link VerifyReport}: scan figures, settle costs, differences by kind, the job's settings. */
export const buildSettleReport = (input: SettleReportInput): VerifyReport => {
  const { job, config, rules, settled, counts } = input;
  const { spec, options } = job;
  const { scan, method } = input.inputs;
  const durationMs = Math.max(1, input.nowMs - Date.parse(spec.createdAt));
  const drift = counts.missing + counts.extra + counts.different;
  const rejectedItems = Object.values(scan.rejected).reduce((sum, count) => sum + count, 0);
  const consumed = {
    source: scan.consumed.source + settled.consumed.source,
    target: scan.consumed.target + settled.consumed.target,
  };
  return {
    from: spec.from,
    to: spec.to,
    tables: { source: job.sourceTable, target: job.targetTable },
    inSync: drift === 0 && rejectedItems === 0,
    counts,
    pipelineRejected: scan.rejected,
    scanned: scan.scanned,
    live: scan.live,
    tombstones: scan.tombstones,
    consumedCapacity: {
      source: Number(consumed.source.toFixed(1)),
      target: Number(consumed.target.toFixed(1)),
      estimated: scan.consumed.estimated || settled.consumed.estimated,
    },
    settings: {
      segments: spec.totalSegments,
      settleSeconds: options.settleSeconds ?? 5,
      settleRounds: options.settleRounds ?? 3,
      maxRps: spec.maxRps ?? null,
      topology: config.topology.type,
      versionsCompared: rules.compareVersions,
    },
    method: {
      partitions: spec.partitions,
      splits: method.splits,
      maxEntriesInMemory: options.maxEntriesInMemory ?? 50_000,
      peakEntriesInMemory: method.peakEntries,
      spilledBytes: scan.bytes + method.spilledBytes + settled.spilledBytes,
      candidates: input.candidates,
      consistentReads: settled.consistentReads,
    },
    ...(options.repair === true
      ? { repair: { dryRun: options.dryRun === true, counts: settled.repairCounts } }
      : {}),
    durationMs: Math.round(durationMs),
    itemsPerSecond: Math.round((scan.scanned.source + scan.scanned.target) / (durationMs / 1000)),
    sample: input.sample.slice(0, input.sampleSize),
    scaleout: {
      jobId: input.jobId,
      segmentsScanned: spec.segments.length,
      sample: spec.sample,
      shuffled: spec.shuffle,
    },
  };
};
