import { metadataNamesFor } from '../core/config/topology.js';
import type { PlanContext } from '../replicator/planBatch.js';
import { planBatch } from '../replicator/planBatch.js';
import type { StreamRecord } from '../replicator/types.js';
import { percentile } from '../tools/percentile.js';
import { type KeyDistribution, syntheticStream } from './records.js';
import type { Print } from './types.js';

/** Options of {@link benchPlan}. */
export interface PlanBenchOptions {
  /** Records per batch. @default 10000 */
  readonly batchSize?: number;
  /** Measured repetitions per batch kind. @default 20 */
  readonly repetitions?: number;
  /** Unmeasured repetitions first (JIT warm-up). @default 3 */
  readonly warmups?: number;
  readonly print?: Print;
}

/** Planning throughput of one kind of batch. */
export interface PlanRate {
  /** Median records/s over the repetitions. */
  readonly medianRecordsPerSecond: number;
  readonly minRecordsPerSecond: number;
  readonly maxRecordsPerSecond: number;
  /** Planned writes per batch (distinct keys × peers). */
  readonly writesPerBatch: number;
}

/** Result of {@link benchPlan}. */
export interface PlanBenchResult {
  readonly batchSize: number;
  /** Repetitions of the uniform batch (the zipf batch runs half as many). */
  readonly repetitions: number;
  /** Every record a different key: nothing coalesces. */
  readonly uniform: PlanRate;
  /** Zipf s=1.2 over 1000 keys: most records coalesce. */
  readonly zipf: PlanRate;
}

const context: PlanContext = {
  region: 'eu-west-1',
  peers: ['us-east-1'],
  topology: 'one-way',
  names: metadataNamesFor('_ds_'),
  tombstoneRetentionSeconds: 7 * 86_400,
};

const measure = (records: readonly StreamRecord[], repetitions: number, warmups: number): PlanRate => {
  let writesPerBatch = 0;
  for (let i = 0; i < warmups; i += 1) writesPerBatch = planBatch(records, context).writes.length;
  const rates: number[] = [];
  for (let i = 0; i < repetitions; i += 1) {
    const started = performance.now();
    const plan = planBatch(records, context);
    const elapsedMs = performance.now() - started;
    if (plan.rejected.length > 0) {
      throw new Error(
        `benchPlan: ${plan.rejected.length} synthetic records were rejected (${plan.rejected[0]?.error.code}); the generator is broken`,
      );
    }
    rates.push(records.length / (elapsedMs / 1000));
  }
  return {
    medianRecordsPerSecond: percentile(rates, 50)!,
    minRecordsPerSecond: Math.min(...rates),
    maxRecordsPerSecond: Math.max(...rates),
    writesPerBatch,
  };
};

/**
 * Records/s through the pure path of the handler — decode (exact AttributeValues), classify,
 * coalesce per key, plan — on one core, with no I/O: `planBatch` on `batchSize`-record batches,
 * repeated, median reported. Run it while nothing else is busy (before DynamoDB Local starts).
 */
export const benchPlan = (options: PlanBenchOptions = {}): PlanBenchResult => {
  const batchSize = options.batchSize ?? 10_000;
  const repetitions = options.repetitions ?? 20;
  const warmups = options.warmups ?? 3;
  const run = (keys: KeyDistribution, seed: number, times: number): PlanRate =>
    measure(syntheticStream({ count: batchSize, keys, seed }).records, times, warmups);
  const uniform = run({ type: 'uniform' }, 11, repetitions);
  options.print?.(`  plan, uniform keys: ${Math.round(uniform.medianRecordsPerSecond)} records/s`);
  // Zipf records are MODIFYs with two images (twice the decoding): half the repetitions keep the bench short.
  const zipf = run({ type: 'zipf', keys: 1000, exponent: 1.2 }, 12, Math.max(1, Math.ceil(repetitions / 2)));
  options.print?.(`  plan, zipf keys:    ${Math.round(zipf.medianRecordsPerSecond)} records/s`);
  return { batchSize, repetitions, uniform, zipf };
};
