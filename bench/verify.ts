import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  ScanCommand,
  type ScanCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { encodeVersion } from '../conflict/version.js';
import { parseConfig } from '../core/config/loadConfig.js';
import type { Config } from '../core/config/types.js';
import type { Item } from '../core/types.js';
import { createDynamoClients } from '../replicator/clients.js';
import { countingBodyHandler, withScanBodyHandler } from '../tools/_shared/scanBody.js';
import { DEFAULT_PAGE_SIZE } from '../tools/_shared/scanTable.js';
import { type LocalDynamo, startLocalDynamo } from '../tools/localDynamo.js';
import { percentile } from '../tools/percentile.js';
import { verify } from '../tools/verify/verify.js';
import { createPlainTable, dropTable } from './_internals/tables.js';
import type { Metric, Print } from './types.js';

/** Options of {@link benchVerify}. */
export interface VerifyBenchOptions {
  readonly source: LocalDynamo;
  readonly peer: LocalDynamo;
  /** Folder for the spill files. */
  readonly dir: string;
  /** Items per table of the large run (throughput and the second RSS point). @default 200000 */
  readonly items?: number;
  /** Items per table of the small RSS point. @default 50000 */
  readonly smallItems?: number;
  /** Parallel scan segments per table, raw scan and verify alike. @default 4 */
  readonly segments?: number;
  /** Measured rounds of raw scan + verify after a warm-up round. @default 3 */
  readonly rounds?: number;
  /** BatchWriteItem requests in flight per table while populating. @default 8 */
  readonly writers?: number;
  /** Keys per thousand made to drift in the peer (missing, different), so verify's re-read path runs. @default 1 */
  readonly driftPerMille?: number;
  readonly print?: Print;
}

/** One timed run over both tables. */
export interface VerifyRun {
  /** `rawScan`: SDK scan, items counted; `wireScan`: the same with each page's items parsed by `JSON.parse` instead; `verify`. */
  readonly kind: 'rawScan' | 'wireScan' | 'verify';
  /** 0 is the warm-up round. */
  readonly round: number;
  /** Items read from both tables. */
  readonly items: number;
  readonly elapsedMs: number;
  readonly itemsPerSecond: number;
}

/** Peak resident memory of a verify run in a fresh process. */
export interface RssPoint {
  readonly itemsPerTable: number;
  /** Kernel's peak resident set (`process.resourceUsage().maxRSS`), MB. */
  readonly peakRssMb: number;
  readonly peakHeapUsedMb: number;
  readonly peakEntriesInMemory: number;
  readonly itemsPerSecond: number;
  readonly differences: number;
}

/** What {@link benchVerify} measured. */
export interface VerifyBenchResult {
  /** Median over measured rounds of (verify items/s ÷ raw scan items/s of the same round). */
  readonly verifyVsScan: number;
  readonly roundRatios: readonly number[];
  readonly rawScanItemsPerSecond: number;
  readonly verifyItemsPerSecond: number;
  /** The same scan parsing each page with one `JSON.parse` instead of the SDK: the cheapest read of every item. */
  readonly wireScanItemsPerSecond: number;
  /** Median over measured rounds of (verify ÷ wire-form scan). */
  readonly verifyVsWireScan: number;
  /** Peak RSS at `items` minus at `smallItems` per table, MB. */
  readonly rssGrowthMb: number;
  readonly rss: { readonly small: RssPoint; readonly large: RssPoint };
  readonly populateItemsPerSecond: number;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly runs: readonly VerifyRun[];
}

const SOURCE = 'eu-west-1';
const PEER = 'us-east-1';
const BASE_MS = 1_700_000_000_000;

const median = (values: readonly number[]): number => percentile(values, 50) ?? Number.NaN;

/** A ~250-byte user record, stamped as the client helper would. */
const benchItem = (i: number): Item => ({
  pk: { S: `user#${String(i).padStart(9, '0')}` },
  name: { S: `User ${i}` },
  email: { S: `user${i}@example.com` },
  balance: { N: `${i % 10_000}.${String(i % 100).padStart(2, '0')}` },
  visits: { N: String(i * 7) },
  tags: { SS: ['a', `t${i % 17}`] },
  profile: { M: { city: { S: `city-${i % 500}` }, active: { BOOL: i % 3 !== 0 } } },
  _ds_v: { S: encodeVersion({ physicalMs: BASE_MS + i, logical: 0, origin: SOURCE }) },
});

const populate = async (
  client: DynamoDBClient,
  table: string,
  count: number,
  writers: number,
  itemOf: (i: number) => Item | undefined,
): Promise<void> => {
  let next = 0;
  const writer = async () => {
    for (;;) {
      const start = next;
      if (start >= count) return;
      next = Math.min(count, start + 25);
      let requests: WriteRequest[] = [];
      for (let i = start; i < next; i += 1) {
        const item = itemOf(i);
        if (item !== undefined) requests.push({ PutRequest: { Item: item as never } });
      }
      for (let attempt = 0; requests.length > 0; attempt += 1) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 20 * 2 ** attempt)));
        const output = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
        requests = output.UnprocessedItems?.[table] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
};

/** The peer's copy of item `i`: a replica, or drifted for a few keys. */
const peerItem = (i: number, driftPerMille: number): Item | undefined => {
  const item = { ...benchItem(i), _ds_rep: { BOOL: true } };
  const slot = i % 1_000;
  if (slot < driftPerMille) return undefined; // missing
  if (slot < driftPerMille * 2) return { ...item, visits: { N: '-1' } }; // different
  return item;
};

/**
 * Scans both tables with `segments` segments each and verify's page size, counting items: the fastest
 * read of the same data through the SDK, or (`wire`) with verify's own parsing of the items.
 */
const rawScan = async (
  sides: ReadonlyArray<{ client: DynamoDBClient; table: string }>,
  segments: number,
  wire: boolean,
): Promise<number> => {
  let items = 0;
  await Promise.all(
    sides.flatMap(({ client, table }) =>
      Array.from({ length: segments }, async (_, segment) => {
        let startKey: ScanCommandInput['ExclusiveStartKey'];
        do {
          const command = new ScanCommand({
            TableName: table,
            Segment: segment,
            TotalSegments: segments,
            ReturnConsumedCapacity: 'TOTAL',
            Limit: DEFAULT_PAGE_SIZE,
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          });
          const page = await client.send(wire ? withScanBodyHandler(command, countingBodyHandler) : command);
          items += page.Count ?? 0;
          startKey = page.LastEvaluatedKey;
        } while (startKey !== undefined);
      }),
    ),
  );
  return items;
};

const configOf = (options: VerifyBenchOptions, sourceTable: string, peerTable: string): Config =>
  parseConfig(
    {
      version: 1,
      name: 'bench-verify',
      regions: {
        [SOURCE]: { table: sourceTable, endpoint: options.source.endpoint },
        [PEER]: { table: peerTable, endpoint: options.peer.endpoint },
      },
      topology: { type: 'active-active' },
    },
    'bench',
  );

/** Input of the child process that measures one verify's peak memory. */
interface ChildInput {
  readonly sourceEndpoint: string;
  readonly peerEndpoint: string;
  readonly sourceTable: string;
  readonly peerTable: string;
  readonly segments: number;
  readonly spillDir: string;
}

/** Runs verify once in this (fresh) process and prints its peak memory as one JSON line. */
const childMain = async (input: ChildInput): Promise<void> => {
  let peakHeap = 0;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 20);
  const config = parseConfig(
    {
      version: 1,
      name: 'bench-verify',
      regions: {
        [SOURCE]: { table: input.sourceTable, endpoint: input.sourceEndpoint },
        [PEER]: { table: input.peerTable, endpoint: input.peerEndpoint },
      },
      topology: { type: 'active-active' },
    },
    'bench-child',
  );
  const report = await verify({
    config,
    from: SOURCE,
    to: PEER,
    segments: input.segments,
    settleSeconds: 0,
    spillDir: input.spillDir,
  });
  clearInterval(sampler);
  const point: Omit<RssPoint, 'itemsPerTable'> = {
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapUsedMb: peakHeap / 1_048_576,
    peakEntriesInMemory: report.method.peakEntriesInMemory,
    itemsPerSecond: report.itemsPerSecond,
    differences: report.counts.missing + report.counts.extra + report.counts.different,
  };
  process.stdout.write(`${JSON.stringify(point)}\n`);
};

/** Starts this file as a child process for one verify run; resolves with its peak memory. */
const measureInChild = (input: ChildInput, itemsPerTable: number): Promise<RssPoint> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify(input)],
      {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{'))
        reject(new Error(`benchVerify: the measuring child exited with ${code}: ${stderr.slice(-2_000)}`));
      else resolve({ itemsPerTable, ...(JSON.parse(line) as Omit<RssPoint, 'itemsPerTable'>) });
    });
  });

/**
 * `verify_vs_scan` and `verify_rss_growth_mb`: how close `dynasync verify` comes to the fastest way to
 * read both tables, and how its memory grows with the tables.
 *
 * - Throughput: a source and a peer table of `items` items (~250 bytes; the peer a replica with
 *   `driftPerMille` keys missing and as many different) are read by a raw parallel scan of both
 *   tables (same clients, segments, page size and consumed-capacity request; items only counted), by
 *   the same scan parsing each page's items with `JSON.parse` instead of the SDK (`wireScan`: the cheapest read that still looks at every item) and by verify
 *   (digest, spill, compare, consistent re-read of the drifted keys; `settleSeconds: 0`, since the
 *   grace period is waiting, not work). Each round runs both back to back, alternating the order; the
 *   statistic is the median of the rounds' ratios (robust to load drifting on a shared 2-core machine).
 * - Memory: verify runs in a fresh child process against the `smallItems` tables and against the
 *   `items` tables; the kernel's peak RSS of each (`maxRSS`) is compared. Both include the same
 *   runtime baseline, so the difference is what the table size adds.
 */
export const benchVerify = async (options: VerifyBenchOptions): Promise<VerifyBenchResult> => {
  const print = options.print ?? (() => undefined);
  const items = options.items ?? 200_000;
  const smallItems = options.smallItems ?? 50_000;
  const segments = options.segments ?? 4;
  const rounds = options.rounds ?? 3;
  const writers = options.writers ?? 8;
  const driftPerMille = options.driftPerMille ?? 1;
  const tables = {
    large: { source: 'bench-verify-src-large', peer: 'bench-verify-dst-large' },
    small: { source: 'bench-verify-src-small', peer: 'bench-verify-dst-small' },
  };
  const config = configOf(options, tables.large.source, tables.large.peer);
  const clients = createDynamoClients(config, { maxSockets: 64 });
  // Raw scan and verify alike without the SDK's logger middleware (verify's own clients drop it: it
  // deep-copies every response for a logger that discards it).
  for (const client of Object.values(clients)) client.middlewareStack.remove('loggerMiddleware');
  const sourceClient = clients[SOURCE]!;
  const peerClient = clients[PEER]!;
  const created: Array<[DynamoDBClient, string]> = [];
  try {
    for (const size of ['large', 'small'] as const) {
      await createPlainTable(sourceClient, tables[size].source);
      created.push([sourceClient, tables[size].source]);
      await createPlainTable(peerClient, tables[size].peer);
      created.push([peerClient, tables[size].peer]);
    }
    print(
      `  populating ${items} + ${smallItems} items per table with BatchWriteItem (${writers} writers per table) ...`,
    );
    const populateStarted = performance.now();
    await Promise.all([
      (async () => {
        await populate(sourceClient, tables.large.source, items, writers, benchItem);
        await populate(sourceClient, tables.small.source, smallItems, writers, benchItem);
      })(),
      (async () => {
        await populate(peerClient, tables.large.peer, items, writers, (i) => peerItem(i, driftPerMille));
        await populate(peerClient, tables.small.peer, smallItems, writers, (i) => peerItem(i, driftPerMille));
      })(),
    ]);
    const populateItemsPerSecond =
      ((items + smallItems) * 2) / ((performance.now() - populateStarted) / 1000);
    print(`  populated at ${Math.round(populateItemsPerSecond)} items/s (both instances together)`);

    const sides = [
      { client: sourceClient, table: tables.large.source },
      { client: peerClient, table: tables.large.peer },
    ];
    const runs: VerifyRun[] = [];
    const record = (kind: VerifyRun['kind'], round: number, count: number, elapsedMs: number): void => {
      const run = { kind, round, items: count, elapsedMs, itemsPerSecond: count / (elapsedMs / 1000) };
      runs.push(run);
      print(
        `  round ${round}${round === 0 ? ' (warm-up)' : ''} ${kind.padEnd(8)} ${String(Math.round(run.itemsPerSecond)).padStart(7)} items/s  (${count} items in ${(elapsedMs / 1000).toFixed(1)} s)`,
      );
    };
    const scanRun = async (round: number) => {
      const started = performance.now();
      const count = await rawScan(sides, segments, false);
      record('rawScan', round, count, performance.now() - started);
    };
    const wireScanRun = async (round: number) => {
      const started = performance.now();
      const count = await rawScan(sides, segments, true);
      record('wireScan', round, count, performance.now() - started);
    };
    const verifyRun = async (round: number) => {
      const started = performance.now();
      const phases = new Map<string, number>();
      const report = await verify({
        onProgress: (event) => {
          if (!phases.has(event.phase)) phases.set(event.phase, performance.now() - started);
        },
        config,
        from: SOURCE,
        to: PEER,
        clients,
        segments,
        settleSeconds: 0,
        spillDir: options.dir,
      });
      const expected =
        Math.floor(items / 1_000) * driftPerMille * 2 +
        Math.max(0, Math.min(items % 1_000, driftPerMille * 2));
      const drift = report.counts.missing + report.counts.different;
      if (drift !== expected || report.counts.extra !== 0)
        throw new Error(
          `benchVerify: verify found ${JSON.stringify(report.counts)}, expected ${expected} drifted keys`,
        );
      record('verify', round, report.scanned.source + report.scanned.target, performance.now() - started);
      print(
        `      phases start at (ms): ${[...phases].map(([phase, at]) => `${phase} ${Math.round(at)}`).join(', ')}`,
      );
    };
    for (let round = 0; round <= rounds; round += 1) {
      const steps = [scanRun, wireScanRun, verifyRun];
      if (round % 2 === 1) steps.reverse();
      for (const step of steps) await step(round);
    }

    print(`  peak memory of verify in a fresh process: ${smallItems} and ${items} items per table ...`);
    const child = (size: 'small' | 'large', count: number) =>
      measureInChild(
        {
          sourceEndpoint: options.source.endpoint,
          peerEndpoint: options.peer.endpoint,
          sourceTable: tables[size].source,
          peerTable: tables[size].peer,
          segments,
          spillDir: options.dir,
        },
        count,
      );
    const small = await child('small', smallItems);
    const large = await child('large', items);
    for (const point of [small, large])
      print(
        `  ${String(point.itemsPerTable).padStart(7)} items/table: peak RSS ${point.peakRssMb.toFixed(1)} MB, heap ${point.peakHeapUsedMb.toFixed(1)} MB, ${point.peakEntriesInMemory} entries held, ${point.itemsPerSecond} items/s`,
      );

    const measured = (kind: VerifyRun['kind']) => runs.filter((run) => run.round > 0 && run.kind === kind);
    const ratiosTo = (kind: VerifyRun['kind']) =>
      measured('verify').map(
        (run) => run.itemsPerSecond / measured(kind).find((scan) => scan.round === run.round)!.itemsPerSecond,
      );
    const roundRatios = ratiosTo('rawScan');
    return {
      verifyVsScan: median(roundRatios),
      roundRatios,
      rawScanItemsPerSecond: median(measured('rawScan').map((run) => run.itemsPerSecond)),
      verifyItemsPerSecond: median(measured('verify').map((run) => run.itemsPerSecond)),
      wireScanItemsPerSecond: median(measured('wireScan').map((run) => run.itemsPerSecond)),
      verifyVsWireScan: median(ratiosTo('wireScan')),
      rssGrowthMb: large.peakRssMb - small.peakRssMb,
      rss: { small, large },
      populateItemsPerSecond,
      settings: {
        items,
        smallItems,
        segments,
        rounds,
        writers,
        driftPerMille,
        partitions: 64,
        settleSeconds: 0,
      },
      runs,
    };
  } finally {
    for (const [client, table] of created) await dropTable(client, table).catch(() => undefined);
    for (const client of Object.values(clients)) client.destroy();
  }
};

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/**
 * The two metrics of {@link benchVerify} in `bench/results.json` form, with the issue's targets:
 * `verify_vs_scan` ≥ 0.7 and `verify_rss_growth_mb` ≤ 50.
 */
export const verifyBenchMetrics = (result: VerifyBenchResult): Record<string, Metric> => {
  const ratio = round(result.verifyVsScan, 3);
  const growth = round(result.rssGrowthMb, 1);
  return {
    verify_vs_scan: {
      value: ratio,
      unit: 'ratio',
      target: { op: '>=', value: 0.7 },
      pass: Number.isFinite(ratio) && ratio >= 0.7,
      detail: {
        verifyItemsPerSecond: Math.round(result.verifyItemsPerSecond),
        rawScanItemsPerSecond: Math.round(result.rawScanItemsPerSecond),
        statistic:
          'median over the measured rounds of (verify items/s ÷ raw parallel SDK scan items/s of both tables, same clients, segments and page size), run back to back',
        wireScanItemsPerSecond: Math.round(result.wireScanItemsPerSecond),
        verifyVsWireScan: round(result.verifyVsWireScan, 3),
        note: 'verify reads scan pages straight from their text (readScanPage: no item built as an object, neither by the SDK deserializer nor by JSON.parse); verifyVsWireScan compares it with a scan that only parses each page with JSON.parse',
        roundRatios: result.roundRatios.map((value) => round(value, 3)),
        ...result.settings,
        runs: result.runs.map((run) => ({
          ...run,
          elapsedMs: Math.round(run.elapsedMs),
          itemsPerSecond: Math.round(run.itemsPerSecond),
        })),
      },
    },
    verify_rss_growth_mb: {
      value: growth,
      unit: 'MB',
      target: { op: '<=', value: 50 },
      pass: Number.isFinite(growth) && growth <= 50,
      detail: {
        statistic: 'peak RSS (maxRSS) of verify in a fresh process at items minus at smallItems per table',
        small: result.rss.small,
        large: result.rss.large,
        ...result.settings,
      },
    },
  };
};

/**
 * Standalone: `npx tsx bench/verify.ts [--items N] [--small-items N] [--segments N] [--rounds N]`
 * starts two DynamoDB Local instances, runs {@link benchVerify}, prints the metrics and stops the
 * instances by their ids. With `--child` it is the measuring child process.
 */
const main = async (argv: readonly string[]): Promise<number> => {
  if (argv[0] === '--child') {
    await childMain(JSON.parse(argv[1] ?? '{}') as ChildInput);
    return 0;
  }
  const { values } = parseArgs({
    args: [...argv],
    options: {
      items: { type: 'string' },
      'small-items': { type: 'string' },
      segments: { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
  const print: Print = (line) => process.stdout.write(`${line}\n`);
  const instances: LocalDynamo[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-bench-verify-'));
  try {
    const started = await Promise.allSettled([startLocalDynamo(), startLocalDynamo()]);
    for (const result of started) if (result.status === 'fulfilled') instances.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const [source, peer] = instances as [LocalDynamo, LocalDynamo];
    const result = await benchVerify({
      source,
      peer,
      dir,
      print,
      ...(number(values.items) === undefined ? {} : { items: number(values.items)! }),
      ...(number(values['small-items']) === undefined ? {} : { smallItems: number(values['small-items'])! }),
      ...(number(values.segments) === undefined ? {} : { segments: number(values.segments)! }),
      ...(number(values.rounds) === undefined ? {} : { rounds: number(values.rounds)! }),
    });
    const metrics = verifyBenchMetrics(result);
    for (const [name, metric] of Object.entries(metrics))
      print(
        `${name} = ${metric.value} ${metric.unit} (target ${metric.target?.op} ${metric.target?.value}: ${metric.pass ? 'PASS' : 'FAIL'})`,
      );
    print(JSON.stringify(metrics, null, 2));
    return 0;
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
    await rm(dir, { recursive: true, force: true });
  }
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
