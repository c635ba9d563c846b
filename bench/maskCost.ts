import { randomBytes } from 'node:crypto';
import { parseConfig } from '../core/config/loadConfig.js';
import { metadataNamesFor } from '../core/config/topology.js';
import type { WireItem } from '../core/types.js';
import { LocalKeyProvider } from '../keys/LocalKeyProvider.js';
import type { Pipeline } from '../pipeline/types.js';
import { createPipelines } from '../replicator/createPipelines.js';
import type { PlanContext } from '../replicator/planBatch.js';
import { planBatch } from '../replicator/planBatch.js';
import type { StreamRecord } from '../replicator/types.js';
import { percentile } from '../tools/percentile.js';
import type { Print } from './types.js';

/** Options of {@link benchMaskCost}. */
export interface MaskCostOptions {
  /** Records per batch. @default 10000 */
  readonly batchSize?: number;
  /** Measured repetitions of each kind, interleaved. @default 15 */
  readonly repetitions?: number;
  /** Unmeasured repetitions first (JIT warm-up). @default 3 */
  readonly warmups?: number;
  readonly print?: Print;
}

/** Result of {@link benchMaskCost}. */
export interface MaskCostResult {
  readonly batchSize: number;
  readonly repetitions: number;
  /** Median records/s planned with the five-attribute masking pipeline. */
  readonly maskedRecordsPerSecond: number;
  /** Median records/s planned with no pipeline, same records. */
  readonly plainRecordsPerSecond: number;
  /** Median of the per-round ratios masked ÷ plain (rounds alternate, so both see the same machine). */
  readonly ratio: number;
}

const PEER = 'us-east-1';

/** One-way records, every one a different key, each with five personal attributes. */
const records = (count: number): StreamRecord[] =>
  Array.from({ length: count }, (_, i) => {
    const image: WireItem = {
      pk: { S: `user#${i.toString(16).padStart(8, '0')}` },
      email: { S: `person${i}@example.com` },
      phone: { S: `+44 20 7946 ${String(i % 10_000).padStart(4, '0')}` },
      name: { S: `Person Number ${i}` },
      card: { S: `4111${String(i).padStart(12, '0')}` },
      address: { M: { street: { S: `${i} Baker Street` }, city: { S: 'London' } } },
      total: { N: String(i) },
      status: { S: 'open' },
    };
    return {
      eventID: `e${i}`,
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      dynamodb: {
        ApproximateCreationDateTime: 1_700_000_000 + i / 1000,
        Keys: { pk: image.pk! },
        NewImage: image,
        SequenceNumber: String(10n ** 20n + BigInt(i)),
        SizeBytes: 300,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
  });

/**
 * `mask_cost`: planning throughput (decode → classify → coalesce → pipeline → plan, no I/O) with
 * five masked attributes — tokenize ×2, encrypt ×2, redact — divided by the throughput of the
 * same records with no pipeline. Runs alternate so both kinds see the same machine state.
 */
export const benchMaskCost = async (options: MaskCostOptions = {}): Promise<MaskCostResult> => {
  const batchSize = options.batchSize ?? 10_000;
  const repetitions = options.repetitions ?? 15;
  const warmups = options.warmups ?? 3;
  const config = parseConfig({
    version: 1,
    name: 'bench',
    regions: { 'eu-west-1': { table: 'bench' }, [PEER]: { table: 'bench' } },
    topology: { type: 'one-way', from: 'eu-west-1', to: [PEER] },
    pipelines: {
      [PEER]: {
        key: ['pk'],
        stages: [
          {
            type: 'mask',
            id: 'pii',
            rules: [
              { path: 'email', action: 'tokenize' },
              { path: 'phone', action: 'tokenize' },
              { path: 'name', action: 'encrypt' },
              { path: 'card', action: 'encrypt' },
              { path: 'address', action: 'redact' },
            ],
          },
        ],
      },
    },
  });
  const key = randomBytes(32).toString('base64');
  const pipelines: Readonly<Record<string, Pipeline>> = await createPipelines(config, 'eu-west-1', {
    keys: new LocalKeyProvider({ source: { env: 'KEY' }, env: { KEY: key } }),
  });
  const base: PlanContext = {
    region: 'eu-west-1',
    peers: [PEER],
    topology: 'one-way',
    names: metadataNamesFor('_ds_'),
    tombstoneRetentionSeconds: 7 * 86_400,
  };
  const masked: PlanContext = { ...base, pipelines };
  const batch = records(batchSize);
  const time = (context: PlanContext): number => {
    const started = performance.now();
    const plan = planBatch(batch, context);
    const elapsed = performance.now() - started;
    if (plan.writes.length !== batchSize || plan.rejected.length > 0)
      throw new Error(
        `benchMaskCost: expected ${batchSize} writes, got ${plan.writes.length} (${plan.rejected.length} rejected)`,
      );
    return batchSize / (elapsed / 1000);
  };
  for (let i = 0; i < warmups; i += 1) {
    time(base);
    time(masked);
  }
  const maskedRates: number[] = [];
  const plainRates: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < repetitions; i += 1) {
    // Alternate the order too, so neither kind always runs on a warmer cache.
    let plain: number;
    let withMask: number;
    if (i % 2 === 0) {
      plain = time(base);
      withMask = time(masked);
    } else {
      withMask = time(masked);
      plain = time(base);
    }
    plainRates.push(plain);
    maskedRates.push(withMask);
    ratios.push(withMask / plain);
  }
  const median = (values: number[]) => percentile(values, 50) ?? Number.NaN;
  const result = {
    batchSize,
    repetitions,
    maskedRecordsPerSecond: median(maskedRates),
    plainRecordsPerSecond: median(plainRates),
    ratio: median(ratios),
  };
  options.print?.(
    `  masked ${Math.round(result.maskedRecordsPerSecond)} records/s, plain ${Math.round(result.plainRecordsPerSecond)} records/s, mask_cost ${result.ratio.toFixed(3)}`,
  );
  return result;
};
