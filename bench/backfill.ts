import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { parseConfig } from '../core/config/loadConfig.js';
import { metadataNames } from '../core/config/topology.js';
import type { Config } from '../core/config/types.js';
import type { Item } from '../core/types.js';
import { createDynamoClients } from '../replicator/clients.js';
import { backfill } from '../tools/backfill/backfill.js';
import { planBackfillPage } from '../tools/backfill/planBackfill.js';
import type { LocalDynamo } from '../tools/localDynamo.js';
import { percentile } from '../tools/percentile.js';
import { buildRepairInput } from '../tools/verify/planRepair.js';
import { createPlainTable, dropTable } from './_internals/tables.js';
import type { Metric, Print } from './types.js';

/** Options of {@link benchBackfill}. */
export interface BackfillBenchOptions {
  readonly source: LocalDynamo;
  readonly peer: LocalDynamo;
  /** Folder for the checkpoint files. */
  readonly dir: string;
  /** Items in the source table (enough that the first scan page's latency does not dominate a fast-path run). @default 10000 */
  readonly items?: number;
  /** Measured rounds after a warm-up round. @default 3 */
  readonly rounds?: number;
  /** Conditional PutItem requests in flight, raw and backfill alike. @default 32 */
  readonly putConcurrency?: number;
  /** BatchWriteItem requests in flight, raw and backfill's fast path alike. @default 8 */
  readonly batchConcurrency?: number;
  /** Backfill scan segments. @default 4 */
  readonly segments?: number;
  /** Backfill scan page size. @default backfill's */
  readonly pageSize?: number;
  readonly print?: Print;
}

/** One timed run into a fresh, empty peer table. */
export interface BackfillBenchRun {
  readonly kind: 'rawPut' | 'backfill' | 'rawBatch' | 'backfillFast';
  readonly round: number;
  readonly items: number;
  readonly elapsedMs: number;
  readonly itemsPerSecond: number;
  readonly path?: string;
}

/** What {@link benchBackfill} measured. */
export interface BackfillBenchResult {
  readonly backfillVsRawPut: number;
  readonly fastPathVsBatch: number;
  readonly putRatios: readonly number[];
  readonly batchRatios: readonly number[];
  readonly runs: readonly BackfillBenchRun[];
  readonly settings: Readonly<Record<string, number>>;
}

const median = (values: readonly number[]): number => percentile(values, 50) ?? Number.NaN;

const SOURCE = 'bench-source';
const PEER = 'bench-peer';

const sourceItems = (count: number): Item[] =>
  Array.from({ length: count }, (_, i) => ({
    pk: { S: `item-${String(i).padStart(7, '0')}` },
    amount: { N: `${1_000 + (i % 9_000)}.25` },
    status: { S: i % 3 === 0 ? 'shipped' : 'open' },
    note: { S: 'x'.repeat(120) },
  }));

/**
 * `backfill_vs_raw_put` and `backfill_fast_path_vs_batch`: a whole backfill (scan included) into an
 * empty peer table, against the writes alone done straight from the benchmark with the same items
 * (stamped exactly as backfill stamps them), at the same number of requests in flight:
 *
 * - conditional path vs raw conditional `PutItem` (`attribute_not_exists(#v) OR #v <= :v`);
 * - fast path (`--target-idle`, empty target) vs raw `BatchWriteItem`, 25 items a request.
 *
 * Each round runs the four back to back (order alternating), every run on a fresh stream-less table;
 * the metric is the median over rounds of the per-round ratio, so load drifting over the run cancels.
 */
export const benchBackfill = async (options: BackfillBenchOptions): Promise<BackfillBenchResult> => {
  const print = options.print ?? (() => undefined);
  const count = options.items ?? 10_000;
  const rounds = options.rounds ?? 3;
  const putConcurrency = options.putConcurrency ?? 32;
  const batchConcurrency = options.batchConcurrency ?? 8;
  const segments = options.segments ?? 4;
  const sourceTable = `bench-backfill-src-${Date.now()}`;
  const makeConfig = (peerTable: string): Config =>
    parseConfig({
      version: 1,
      name: 'bench-backfill',
      regions: {
        [SOURCE]: { table: sourceTable, endpoint: options.source.endpoint, awsRegion: 'us-east-1' },
        [PEER]: { table: peerTable, endpoint: options.peer.endpoint, awsRegion: 'us-east-1' },
      },
      topology: { type: 'one-way', from: SOURCE, to: [PEER] },
      replicator: { checkpointDir: join(options.dir, 'backfill-checkpoints') },
    });
  const baseConfig = makeConfig('bench-backfill-peer');
  const clients = createDynamoClients(baseConfig);
  const source = clients[SOURCE]!;
  const peer = clients[PEER]!;
  const names = metadataNames(baseConfig);
  const items = sourceItems(count);
  // The very items backfill writes (one-way: stamped with its version and the replication marker).
  const writes = planBackfillPage(items, {
    names,
    compareVersions: false,
    from: SOURCE,
    tombstoneRetentionSeconds: 7 * 86_400,
    targetKeyNames: ['pk'],
  }).writes;
  const runs: BackfillBenchRun[] = [];
  try {
    await createPlainTable(source, sourceTable);
    await fillWith(source, sourceTable, items, 8);
    let serial = 0;
    const timed = async (
      kind: BackfillBenchRun['kind'],
      round: number,
      body: (config: Config, table: string) => Promise<string | undefined>,
    ): Promise<BackfillBenchRun> => {
      serial += 1;
      const table = `bench-backfill-peer-${Date.now()}-${serial}`;
      await createPlainTable(peer, table);
      try {
        const started = performance.now();
        const path = await body(makeConfig(table), table);
        const elapsedMs = performance.now() - started;
        const run: BackfillBenchRun = {
          kind,
          round,
          items: count,
          elapsedMs,
          itemsPerSecond: count / (elapsedMs / 1000),
          ...(path === undefined ? {} : { path }),
        };
        runs.push(run);
        print(
          `  round ${round} ${kind.padEnd(12)} ${Math.round(run.itemsPerSecond)} items/s${path === undefined ? '' : ` (${path})`}`,
        );
        return run;
      } finally {
        await dropTable(peer, table);
      }
    };
    const rawPut = (round: number) =>
      timed('rawPut', round, async (_config, table) => {
        const limit = pLimit(putConcurrency);
        await Promise.all(
          writes.map((write) =>
            limit(async () => {
              await peer.send(new PutItemCommand(buildRepairInput(table, write, names)));
            }),
          ),
        );
        return undefined;
      });
    const rawBatch = (round: number) =>
      timed('rawBatch', round, async (_config, table) => {
        await fillWith(
          peer,
          table,
          writes.map((write) => write.item),
          batchConcurrency,
        );
        return undefined;
      });
    const viaBackfill = (round: number, fast: boolean) =>
      timed(fast ? 'backfillFast' : 'backfill', round, async (config) => {
        const report = await backfill({
          config,
          from: SOURCE,
          to: PEER,
          segments,
          ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
          concurrency: fast ? batchConcurrency : putConcurrency,
          targetIdle: fast,
          checkpoint: join(options.dir, `backfill-${Date.now()}-${serial}.json`),
          clients,
        });
        if (report.written !== count)
          throw new Error(`bench: backfill wrote ${report.written} of ${count} items`);
        return report.path.chosen;
      });
    const putRatios: number[] = [];
    const batchRatios: number[] = [];
    for (let round = 0; round <= rounds; round += 1) {
      const even = round % 2 === 0;
      const [first, second] = even
        ? [await rawPut(round), await viaBackfill(round, false)]
        : [await viaBackfill(round, false), await rawPut(round)];
      const [third, fourth] = even
        ? [await rawBatch(round), await viaBackfill(round, true)]
        : [await viaBackfill(round, true), await rawBatch(round)];
      if (round === 0) continue; // warm-up
      const put = even
        ? second.itemsPerSecond / first.itemsPerSecond
        : first.itemsPerSecond / second.itemsPerSecond;
      const batch = even
        ? fourth.itemsPerSecond / third.itemsPerSecond
        : third.itemsPerSecond / fourth.itemsPerSecond;
      putRatios.push(put);
      batchRatios.push(batch);
    }
    return {
      backfillVsRawPut: median(putRatios),
      fastPathVsBatch: median(batchRatios),
      putRatios,
      batchRatios,
      runs,
      settings: { items: count, rounds, putConcurrency, batchConcurrency, segments },
    };
  } finally {
    await dropTable(source, sourceTable).catch(() => undefined);
    for (const client of Object.values(clients)) client.destroy();
  }
};

/** Raw BatchWriteItem of `items`, 25 a request, `concurrency` requests in flight, unprocessed items resent. */
const fillWith = async (
  client: DynamoDBClient,
  table: string,
  items: readonly Item[],
  concurrency: number,
) => {
  const limit = pLimit(concurrency);
  const chunks: Item[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  await Promise.all(
    chunks.map((chunk) =>
      limit(async () => {
        let requests: WriteRequest[] = chunk.map((item) => ({ PutRequest: { Item: item as never } }));
        while (requests.length > 0) {
          const output = await client.send(
            new BatchWriteItemCommand({ RequestItems: { [table]: requests } }),
          );
          requests = output.UnprocessedItems?.[table] ?? [];
        }
      }),
    ),
  );
};

const round3 = (value: number) => Number(value.toFixed(3));

/** The two metrics of {@link benchBackfill}, for `bench/results.json`. */
export const backfillBenchMetrics = (result: BackfillBenchResult): Record<string, Metric> => {
  const rate = (kind: BackfillBenchRun['kind']) =>
    Math.round(
      median(
        result.runs.filter((run) => run.kind === kind && run.round > 0).map((run) => run.itemsPerSecond),
      ),
    );
  const judge = (value: number, target: number) => Number.isFinite(value) && value >= target;
  const put = round3(result.backfillVsRawPut);
  const batch = round3(result.fastPathVsBatch);
  const runs = result.runs.map((run) => ({
    ...run,
    elapsedMs: Math.round(run.elapsedMs),
    itemsPerSecond: Math.round(run.itemsPerSecond),
  }));
  return {
    backfill_vs_raw_put: {
      value: put,
      unit: 'ratio',
      target: { op: '>=', value: 0.85 },
      pass: judge(put, 0.85),
      detail: {
        backfillItemsPerSecond: rate('backfill'),
        rawPutsPerSecond: rate('rawPut'),
        statistic:
          'median over measured rounds of (backfill items/s, scan and checkpoints included ÷ raw conditional PutItem/s of the same stamped items, same requests in flight)',
        roundRatios: result.putRatios.map(round3),
        ...result.settings,
        runs: runs.filter((run) => run.kind === 'rawPut' || run.kind === 'backfill'),
      },
    },
    backfill_fast_path_vs_batch: {
      value: batch,
      unit: 'ratio',
      target: { op: '>=', value: 0.8 },
      pass: judge(batch, 0.8),
      detail: {
        fastPathItemsPerSecond: rate('backfillFast'),
        rawBatchItemsPerSecond: rate('rawBatch'),
        statistic:
          'median over measured rounds of (backfill fast-path items/s into an empty table ÷ raw BatchWriteItem items/s, 25 a request, same requests in flight)',
        roundRatios: result.batchRatios.map(round3),
        ...result.settings,
        runs: runs.filter((run) => run.kind === 'rawBatch' || run.kind === 'backfillFast'),
      },
    },
  };
};
