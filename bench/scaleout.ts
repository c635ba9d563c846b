import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { encodeVersion } from '../conflict/version.js';
import { parseConfig } from '../core/config/loadConfig.js';
import type { Item } from '../core/types.js';
import { createDynamoClients } from '../replicator/clients.js';
import { MOTO_MISSING, motoAvailable } from '../test/helpers/motoServer.js';
import type { LocalDynamo } from '../tools/localDynamo.js';
import { FileJobStore } from '../tools/scaleout/FileJobStore.js';
import { jobSpecKey, planJob } from '../tools/scaleout/planJob.js';
import { runLocalEngine } from '../tools/scaleout/runLocalEngine.js';
import { createVerifyTaskRunner, readVerifyResult } from '../tools/scaleout/verifyTasks.js';
import type { Difference } from '../tools/verify/types.js';
import { verify } from '../tools/verify/verify.js';
import { createPlainTable, dropTable } from './_internals/tables.js';
import { benchScaleoutOverhead } from './scaleoutOverhead.js';
import type { Metric, Print } from './types.js';

const SOURCE = 'eu-west-1';
const PEER = 'us-east-1';

/** DynamoDB's documented limits and the bulk executor's published figure (see bench/README.md, "Scale-out model"). */
export const SCALEOUT_MODEL = {
  workers: 1_000,
  /** Read units per second one partition serves. */
  partitionRcu: 3_000,
  /** An eventually consistent read unit reads 8 KB (0.5 unit per 4 KB). */
  bytesPerEventualRcu: 8_192,
  /** amazon-dynamodb-tools' bulk executor: ~500 M items per table in under 7 minutes. */
  bulkExecutorItemsPerSecondPerTable: 500_000_000 / (7 * 60),
} as const;

/** Options of {@link benchScaleout}. */
export interface ScaleoutBenchOptions {
  readonly source: LocalDynamo;
  readonly peer: LocalDynamo;
  readonly dir: string;
  /** Items per table. @default 40000 */
  readonly items?: number;
  /** Segments (`TotalSegments`). @default 4 */
  readonly segments?: number;
  readonly print?: Print;
}

const item = (i: number): Item => ({
  pk: { S: `user#${String(i).padStart(8, '0')}` },
  name: { S: `User ${i}` },
  visits: { N: String(i * 7) },
  tags: { SS: ['a', `t${i % 17}`] },
  _ds_v: { S: encodeVersion({ physicalMs: 1_700_000_000_000 + i, logical: 0, origin: SOURCE }) },
});

const populate = async (client: DynamoDBClient, table: string, count: number, peer: boolean) => {
  let next = 0;
  const writer = async () => {
    while (next < count) {
      const start = next;
      next = Math.min(count, start + 25);
      let requests: WriteRequest[] = [];
      for (let i = start; i < next; i += 1) {
        if (peer && i % 1_000 === 0) continue; // missing in the peer
        const base = item(i);
        const copy = peer
          ? { ...base, _ds_rep: { BOOL: true }, ...(i % 1_000 === 1 ? { visits: { N: '-1' } } : {}) }
          : base;
        requests.push({ PutRequest: { Item: copy as never } });
      }
      while (requests.length > 0) {
        const output = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
        requests = output.UnprocessedItems?.[table] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
};

const rowsOf = (differences: readonly Difference[]) =>
  differences.map((d) => `${d.kind} ${JSON.stringify(d.key)} ${d.attributes.join(',')}`).sort();

/**
 * The scale-out figures: one segment worker's rate against the local verify's per-segment rate (same
 * tables, same run), a 4-worker local job against a 1-worker one, and the modelled rate at 1,000
 * workers (see bench/README.md).
 */
export const benchScaleout = async (options: ScaleoutBenchOptions): Promise<Record<string, Metric>> => {
  const print = options.print ?? (() => undefined);
  const items = options.items ?? 40_000;
  const segments = options.segments ?? 4;
  const sourceTable = `bench-so-s-${Date.now()}`;
  const peerTable = `bench-so-p-${Date.now()}`;
  const config = parseConfig(
    {
      version: 1,
      name: 'bench-scaleout',
      regions: {
        [SOURCE]: { table: sourceTable, endpoint: options.source.endpoint },
        [PEER]: { table: peerTable, endpoint: options.peer.endpoint },
      },
      topology: { type: 'active-active' },
    },
    'bench',
  );
  const clients = createDynamoClients(config);
  const dir = await mkdtemp(join(options.dir, 'scaleout-'));
  const keyHasher = (keyId: string) => String(keyId.length);
  try {
    await Promise.all([
      createPlainTable(clients[SOURCE]!, sourceTable),
      createPlainTable(clients[PEER]!, peerTable),
    ]);
    await Promise.all([
      populate(clients[SOURCE]!, sourceTable, items, false),
      populate(clients[PEER]!, peerTable, items, true),
    ]);
    print(`  ${items} items per table, ${segments} segments`);
    const store = new FileJobStore(join(dir, 'store'));
    const job = async (workers: number, only?: number) => {
      const spec = planJob({
        command: 'verify',
        configVersion: config.configVersion,
        from: SOURCE,
        to: PEER,
        totalSegments: segments,
        shuffle: false,
        concurrency: workers,
        options: { settleSeconds: 0 },
      });
      await store.put(jobSpecKey(spec.jobId), JSON.stringify(spec));
      const runner = createVerifyTaskRunner({ store, config, clients, keyHasher, workDir: dir });
      if (only !== undefined) {
        const started = performance.now();
        const result = await runner(
          { kind: 'scanSegment', jobId: spec.jobId, segment: only },
          { deadlineAt: Number.MAX_SAFE_INTEGER },
        );
        const seconds = (performance.now() - started) / 1000;
        if (result.kind !== 'scanSegment') throw new Error('scanSegment answered another kind');
        return {
          itemsPerSecond: (result.scanned.source + result.scanned.target) / seconds,
          differences: [] as Difference[],
        };
      }
      await runLocalEngine(spec, runner, { workers });
      const result = await readVerifyResult(store, spec.jobId);
      const differences: Difference[] = [];
      for await (const difference of result.differences) differences.push(difference);
      return { itemsPerSecond: result.report.itemsPerSecond, differences, counts: result.report.counts };
    };
    // Warm-up, then the local verify and one segment worker, alternating.
    await verify({
      config,
      from: SOURCE,
      to: PEER,
      clients,
      segments,
      settleSeconds: 0,
      keyHasher,
      spillDir: dir,
    });
    const ratios: number[] = [];
    let workerRate = 0;
    let localPerSegment = 0;
    for (let round = 0; round < 3; round += 1) {
      const local = await verify({
        config,
        from: SOURCE,
        to: PEER,
        clients,
        segments,
        settleSeconds: 0,
        keyHasher,
        spillDir: dir,
      });
      localPerSegment = local.itemsPerSecond / segments;
      workerRate = (await job(1, round % segments)).itemsPerSecond;
      ratios.push(workerRate / localPerSegment);
      print(
        `  round ${round + 1}: worker ${Math.round(workerRate)} items/s, local ${Math.round(localPerSegment)} items/s per segment`,
      );
    }
    const efficiency = [...ratios].sort((a, b) => a - b)[1]!;
    const [one, four] = [await job(1), await job(4)];
    const exact =
      JSON.stringify(rowsOf(one.differences)) === JSON.stringify(rowsOf(four.differences)) &&
      JSON.stringify(one.counts) === JSON.stringify(four.counts) &&
      one.differences.length > 0;
    // Model: each of 1,000 workers scans one segment of both tables; per table, a worker's segment
    // is served by about one partition (3,000 read units/s, 8 KB each, eventually consistent).
    const itemBytes = 120;
    const perWorkerPerTable = workerRate / 2;
    const partitionCap = (SCALEOUT_MODEL.partitionRcu * SCALEOUT_MODEL.bytesPerEventualRcu) / itemBytes;
    const modelled = SCALEOUT_MODEL.workers * Math.min(perWorkerPerTable, partitionCap);
    // The orchestration's cost per segment: the construct's state machine under moto_server.
    let overhead: Record<string, Metric> = {};
    if (motoAvailable()) overhead = await benchScaleoutOverhead();
    else print(`  scaleout_overhead_ms_per_segment skipped: ${MOTO_MISSING}`);
    const value = (
      v: number,
      unit: string,
      target: Metric['target'],
      detail: Record<string, unknown>,
    ): Metric => ({
      value: v,
      unit,
      target,
      pass: target === null ? null : target.op === '>=' ? v >= target.value : v <= target.value,
      detail,
    });
    return {
      ...overhead,
      scaleout_worker_efficiency: value(
        Number(efficiency.toFixed(3)),
        'ratio',
        { op: '>=', value: 0.9 },
        {
          statistic: 'median of 3 rounds of (one segment worker items/s ÷ local verify items/s per segment)',
          ratios: ratios.map((r) => Number(r.toFixed(3))),
          items,
          segments,
        },
      ),
      scaleout_exact_workers: value(
        exact ? 1 : 0,
        'pass',
        { op: '>=', value: 1 },
        {
          differences: four.differences.length,
          counts: four.counts,
        },
      ),
      scaleout_modelled_items_per_s: value(Math.round(modelled), 'items/s per table', null, {
        workers: SCALEOUT_MODEL.workers,
        perWorkerItemsPerSecondPerTable: Math.round(perWorkerPerTable),
        partitionCapItemsPerSecond: Math.round(partitionCap),
        itemBytes,
        bulkExecutorItemsPerSecondPerTable: Math.round(SCALEOUT_MODEL.bulkExecutorItemsPerSecondPerTable),
        ratioToBulkExecutor: Number(
          (modelled / SCALEOUT_MODEL.bulkExecutorItemsPerSecondPerTable).toFixed(2),
        ),
        model: 'bench/README.md, "Scale-out model"',
      }),
    };
  } finally {
    await Promise.all([dropTable(clients[SOURCE]!, sourceTable), dropTable(clients[PEER]!, peerTable)]).catch(
      () => undefined,
    );
    for (const client of Object.values(clients)) client.destroy();
    await rm(dir, { recursive: true, force: true });
  }
};
