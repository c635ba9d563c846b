import { randomBytes } from 'node:crypto';
import { VerifyErrorCodes, verifyError } from '../verify/errors.js';
import type { JobSpec } from './protocol.js';

/** Options of {@link planJob}. */
export interface PlanJobOptions {
  readonly command: JobSpec['command'];
  readonly configVersion: string;
  readonly from: string;
  readonly to: string;
  /** `TotalSegments` of both scans (1-1000000). */
  readonly totalSegments: number;
  /** `--sample`: the fraction of segments to scan (0 < f ≤ 1). @default 1 */
  readonly sample?: number;
  /** Seed of the sample's choice (the same seed chooses the same segments). @default random */
  readonly sampleSeed?: number;
  /** True when the target's pipeline changes keys: compare by output-key partition across segments. */
  readonly shuffle: boolean;
  /** Partitions of the spills (and of the shuffle). @default 64 */
  readonly partitions?: number;
  readonly maxRps?: number;
  readonly maxWps?: number;
  /** Workers at once. */
  readonly concurrency: number;
  readonly options?: Readonly<Record<string, unknown>>;
  /** @default a fresh id */
  readonly jobId?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** A fresh job id: time-ordered, no PII (`v-20261202T0040-3f9a1c`). */
export const newJobId = (command: JobSpec['command'], now: number): string =>
  `${command === 'verify' ? 'v' : 'b'}-${new Date(now).toISOString().replace(/[-:]/g, '').slice(0, 13)}-${randomBytes(3).toString('hex')}`;

/** Mulberry32: a small seeded generator, the same sequence for the same seed on every machine. */
const seeded = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

/**
 * The segments a sample scans: `ceil(fraction × total)` of `0..total-1` (at least one), chosen by a
 * seeded shuffle, sorted. A fraction of 1 is every segment.
 */
export const sampleSegments = (total: number, fraction: number, seed: number): number[] => {
  const all = Array.from({ length: total }, (_, index) => index);
  if (fraction >= 1) return all;
  const random = seeded(seed);
  for (let i = all.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, Math.max(1, Math.ceil(fraction * total))).sort((a, b) => a - b);
};

/**
 * Plans a scale-out job: its segments (all, or a seeded sample), whether it shuffles, its budget.
 * Pure: the driver stores the result at `jobs/<jobId>/job.json` before the first task.
 * @throws DynasyncError `verify.invalidOption` for a sample outside (0, 1] or a bad concurrency.
 */
export const planJob = (options: PlanJobOptions): JobSpec => {
  const sample = options.sample ?? 1;
  if (!Number.isFinite(sample) || sample <= 0 || sample > 1)
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `${options.command}: --sample must be a fraction of segments above 0 and at most 1, got ${sample}`,
      { option: 'sample' },
    );
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1 || options.concurrency > 10_000)
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `${options.command}: --workers must be a whole number from 1 to 10000, got ${options.concurrency}`,
      { option: 'workers' },
    );
  const now = (options.now ?? Date.now)();
  const seed = options.sampleSeed ?? randomBytes(4).readUInt32BE(0);
  return {
    jobId: options.jobId ?? newJobId(options.command, now),
    command: options.command,
    configVersion: options.configVersion,
    from: options.from,
    to: options.to,
    totalSegments: options.totalSegments,
    segments: sampleSegments(options.totalSegments, sample, seed),
    sample,
    shuffle: options.shuffle,
    partitions: options.partitions ?? 64,
    ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
    ...(options.maxWps === undefined ? {} : { maxWps: options.maxWps }),
    concurrency: options.concurrency,
    options: { ...options.options, sampleSeed: seed },
    createdAt: new Date(now).toISOString(),
  };
};

/** The store key of a job's spec. */
export const jobSpecKey = (jobId: string): string => `jobs/${jobId}/job.json`;
