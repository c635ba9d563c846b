import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynasyncClient } from '../../client/DynasyncClient.js';
import { sleep } from '../../core/async/sleep.js';
import { parseConfig } from '../../core/config/loadConfig.js';
import { metadataNames } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { createDynamoClients, createStreamsClient } from '../../replicator/clients.js';
import { createReplicator } from '../../replicator/createReplicator.js';
import { checkTables } from '../../replicator/poller/checkTables.js';
import { FileCheckpointStore } from '../../replicator/poller/FileCheckpointStore.js';
import { StreamPoller } from '../../replicator/poller/StreamPoller.js';
import { WriteOutcomes } from '../../replicator/types.js';
import { compareTables, type TableComparison } from '../compareTables.js';
import { type LocalDynamo, probeLocalDynamo, startLocalDynamo } from '../localDynamo.js';
import { percentile } from '../percentile.js';
import { createReplicatedTable } from '../tables.js';
import { formatReport } from '../verify/formatReport.js';
import { verify } from '../verify/verify.js';
import {
  chooseRate,
  DEFAULT_CAPACITY_FRACTION,
  demoLegend,
  formatFailedWrites,
  isSaturated,
  saturationWarning,
} from './pacing.js';
import { runWorkload, type WorkloadCounts } from './workload.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** How long the workload runs. @default 20 */
  readonly seconds: number;
  /** Distinct keys written. @default 500 */
  readonly keys: number;
  /**
   * Writes per second in each region. @default a quarter of what the local instances were measured
   * to sustain during warm-up, split over the two requests each write costs an instance (see `chooseRate`)
   */
  readonly rate?: number;
  /** Where the dashboard goes. @default process.stdout */
  readonly print?: (line: string) => void;
}

const REGIONS = ['eu-west-1', 'us-east-1'] as const;
const TABLE = 'demo-users';
/** Seconds the workload runs before the lag summary and the saturation check start. */
const WARMUP_SECONDS = 5;

interface Tally {
  applied: number;
  stale: number;
  deadLettered: number;
  unfinished: number;
  lags: number[];
}

const format = (ms: number | undefined): string =>
  ms === undefined ? '     -' : `${String(Math.round(ms)).padStart(4)} ms`;

/** What the demo starts and must stop, whatever phase it reaches. */
interface DemoResources {
  /** The checkpoints and dead letters of the run. */
  readonly dir: string;
  readonly instances: LocalDynamo[];
  readonly pollers: StreamPoller[];
  readonly streamsClients: DynamoDBStreamsClient[];
  config?: Config;
  clients?: Record<string, DynamoDBClient>;
}

/** The pace of the workload: what the slower instance sustains, and the writes per second per region. */
interface Pace {
  readonly capacity: number;
  readonly ratePerRegion: number;
}

/** What the replicators report while the workload runs. */
interface Replication {
  readonly tallies: Map<string, Tally>;
  /** Lags of the changes written after the warm-up (by their stamp), for the summary. */
  readonly allLags: number[];
  /** Changes stamped before this epoch ms belong to the warm-up. */
  measureFromMs: number;
  /** When a poller last read records (epoch ms). */
  lastActivity: number;
}

/** The dashboard printed every second while the workload runs. */
interface Dashboard {
  readonly ticker: ReturnType<typeof setInterval>;
  /** Replication warms up too (stream reads, the replicator's code paths): its first seconds are not summarised. */
  measuring: boolean;
  /** Seconds into the run when the lag first looked saturated. */
  saturatedAt: number | undefined;
}

/** What the workload and the report share. */
interface DemoRun {
  readonly options: DemoOptions;
  readonly print: (line: string) => void;
  readonly signal: AbortSignal;
  readonly config: Config;
  readonly clients: Record<string, DynamoDBClient>;
  readonly pace: Pace;
  readonly replication: Replication;
}

/** Warms both instances up, both busy at once, and picks the rate from the slower one. */
const measurePace = async (
  instances: readonly LocalDynamo[],
  options: DemoOptions,
  print: (line: string) => void,
): Promise<Pace> => {
  print(
    'warming up their JVMs (a cold DynamoDB Local is several times slower for its first seconds) and measuring them, both busy at once ...',
  );
  const probes = await Promise.all(
    instances.map((instance) =>
      probeLocalDynamo(instance.endpoint, { warmupPuts: 6_000, measuredPuts: 3_000 }),
    ),
  );
  // The slower instance bounds the run: each one takes its region's writes and the other's replicated ones.
  const capacity = Math.min(...probes.map((probe) => probe.capacityPutsPerSecond));
  const ratePerRegion = options.rate ?? chooseRate({ capacityPutsPerSecond: capacity, requestsPerWrite: 2 });
  print(
    `measured capacity: ${probes.map((probe, i) => `${REGIONS[i]} ${Math.round(probe.capacityPutsPerSecond)}`).join(', ')} conditional puts/s (both busy)`,
  );
  print(
    options.rate === undefined
      ? `rate: ${ratePerRegion} writes/s per region = ${DEFAULT_CAPACITY_FRACTION * 100}% of ${Math.round(capacity)} puts/s ÷ 2 (each instance serves its own writes and the other region's replicated ones); --rate overrides`
      : `rate: ${ratePerRegion} writes/s per region (--rate), ${Math.round(((ratePerRegion * 2) / capacity) * 100)}% of the measured ${Math.round(capacity)} puts/s`,
  );
  return { capacity, ratePerRegion };
};

/** The demo's config (one region per instance), its clients and a replicated table in each region. */
const createDemoTables = async (
  resources: DemoResources,
  print: (line: string) => void,
): Promise<{ config: Config; clients: Record<string, DynamoDBClient> }> => {
  const { dir, instances } = resources;
  const config = parseConfig(
    {
      version: 1,
      name: 'demo',
      regions: Object.fromEntries(
        REGIONS.map((region, i) => [region, { table: TABLE, endpoint: instances[i]!.endpoint }]),
      ),
      topology: { type: 'active-active' },
      replicator: { checkpointDir: dir, pollIntervalMs: 50 },
      deadLetter: { type: 'file', dir },
    },
    'demo',
  );
  resources.config = config;
  const clients = createDynamoClients(config);
  resources.clients = clients;
  await Promise.all(
    REGIONS.map((region) =>
      createReplicatedTable(clients[region]!, TABLE, { partitionKey: { name: 'pk', type: 'S' } }),
    ),
  );
  await checkTables(config, clients);
  print(`tables ready: ${REGIONS.map((region, i) => `${region} → ${instances[i]!.endpoint}`).join(', ')}`);
  return { config, clients };
};

/** `item`, added to `list` (what the demo must clean up). */
const kept = <T>(list: T[], item: T): T => {
  list.push(item);
  return item;
};

/** A replicator and its stream poller per region, in this process, tallying what they write. */
const startReplicators = async (
  config: Config,
  clients: Record<string, DynamoDBClient>,
  resources: DemoResources,
): Promise<Replication> => {
  const quiet = new Logger({ serviceName: 'dynasync', logLevel: 'ERROR' });
  const replication: Replication = {
    tallies: new Map<string, Tally>(),
    allLags: [],
    measureFromMs: Number.POSITIVE_INFINITY,
    lastActivity: Date.now(),
  };
  for (const region of REGIONS) {
    const tally: Tally = { applied: 0, stale: 0, deadLettered: 0, unfinished: 0, lags: [] };
    replication.tallies.set(region, tally);
    const replicator = createReplicator({
      config,
      region,
      clients,
      logger: quiet,
      onWriteResult: (result) => {
        if (result.outcome === WriteOutcomes.applied) {
          tally.applied += 1;
          const stampedAt = result.write.change.version.physicalMs;
          const lag = Date.now() - stampedAt;
          tally.lags.push(lag);
          if (stampedAt >= replication.measureFromMs) replication.allLags.push(lag);
        } else if (result.outcome === WriteOutcomes.stale) {
          tally.stale += 1;
        }
      },
    });
    const poller = new StreamPoller({
      config,
      region,
      replicator,
      streamsClient: kept(resources.streamsClients, createStreamsClient(config, region)),
      dynamoClient: clients[region]!,
      checkpoints: FileCheckpointStore.forRegion(config, region),
      logger: quiet,
      statsIntervalMs: 0,
      onBatch: (result) => {
        if (result.counts.records > 0) replication.lastActivity = Date.now();
        tally.deadLettered += result.counts.deadLettered;
        tally.unfinished += result.counts.unfinished;
      },
    });
    resources.pollers.push(poller);
    await poller.start();
  }
  return replication;
};

const writesOf = (counts: WorkloadCounts): number =>
  counts.puts + counts.updates + counts.deletes + counts.concurrent * 2;

/** The workload line, the legend and the dashboard's column titles. */
const printDashboardHeader = ({ options, print, pace }: DemoRun): void => {
  print(
    `workload: ${pace.ratePerRegion} writes/s per region for ${WARMUP_SECONDS} s of warm-up, then ${options.seconds} s, over ${options.keys} keys (55% put, 30% update, 10% delete, 5% same key in both regions at once)`,
  );
  print('');
  for (const line of demoLegend()) print(line);
  print('');
  print(
    '  time  writes/s   eu-west-1→us-east-1   us-east-1→eu-west-1   stale   dead-lettered   lag p50   lag p99',
  );
};

/** A dashboard line every second: writes, what each replicator applied, stale, dead letters and lag. */
const startDashboard = ({ print, pace, replication }: DemoRun, counts: WorkloadCounts): Dashboard => {
  const { tallies } = replication;
  const started = Date.now();
  let previousWrites = 0;
  const previousApplied = new Map<string, number>(REGIONS.map((region) => [region, 0]));
  /** Lag p50 of each dashboard second, for the saturation check. */
  const lagSeries: number[] = [];
  const tick = () => {
    const writes = writesOf(counts);
    const lags = REGIONS.flatMap((region) => tallies.get(region)!.lags.splice(0));
    if (dashboard.measuring) {
      lagSeries.push(percentile(lags, 50) ?? Number.NaN);
    }
    const rate = (region: string) => {
      const applied = tallies.get(region)!.applied;
      const delta = applied - previousApplied.get(region)!;
      previousApplied.set(region, applied);
      return `${String(delta).padStart(6)}/s`;
    };
    const stale = REGIONS.reduce((sum, region) => sum + tallies.get(region)!.stale, 0);
    const dead = REGIONS.reduce((sum, region) => sum + tallies.get(region)!.deadLettered, 0);
    print(
      `  ${String(Math.round((Date.now() - started) / 1000)).padStart(3)}s  ${String(writes - previousWrites).padStart(8)}   ${rate(REGIONS[0]).padStart(19)}   ${rate(REGIONS[1]).padStart(19)}   ${String(stale).padStart(5)}   ${String(dead).padStart(13)}   ${format(percentile(lags, 50))}   ${format(percentile(lags, 99))}${dashboard.measuring ? '' : '   (warm-up)'}`,
    );
    previousWrites = writes;
    if (dashboard.saturatedAt === undefined && isSaturated(lagSeries)) {
      dashboard.saturatedAt = Math.round((Date.now() - started) / 1000);
      print(`  ${saturationWarning(pace.ratePerRegion, pace.capacity)}`);
    }
  };
  const dashboard: Dashboard = { ticker: setInterval(tick, 1_000), measuring: false, saturatedAt: undefined };
  return dashboard;
};

/** Compares the regions until they agree and the pollers have been idle 1.5 s (or a minute has passed). */
const waitForDrain = async ({ clients, signal, config, replication }: DemoRun): Promise<TableComparison> => {
  const names = metadataNames(config);
  const deadline = Date.now() + 60_000;
  const compare = () =>
    compareTables(
      { client: clients[REGIONS[0]]!, table: TABLE },
      { client: clients[REGIONS[1]]!, table: TABLE },
      ['pk'],
      names,
    );
  let comparison = await compare();
  while (
    !signal.aborted &&
    Date.now() < deadline &&
    (Date.now() - replication.lastActivity < 1_500 || comparison.differences.length > 0)
  ) {
    await sleep(500);
    comparison = await compare();
  }
  return comparison;
};

/** The totals, the lag summary, each replicator's tally and the comparison; whether the regions converged. */
const printSummary = (
  { print, pace, replication }: DemoRun,
  load: { counts: WorkloadCounts; failures: Map<string, number>; saturatedAt: number | undefined },
  comparison: TableComparison,
): boolean => {
  const { counts } = load;
  const { allLags } = replication;
  print('');
  print(
    `writes: ${writesOf(counts)} (${counts.puts} puts, ${counts.updates} updates, ${counts.deletes} deletes, ${counts.concurrent} concurrent pairs; ${formatFailedWrites(load.failures)})`,
  );
  const summary = (value: number | undefined) => (value === undefined ? '-' : `${Math.round(value)} ms`);
  print(
    `lag of the changes written after warm-up: p50 ${summary(percentile(allLags, 50))}, p99 ${summary(percentile(allLags, 99))}, max ${allLags.length === 0 ? '-' : `${Math.max(...allLags)} ms`} (${allLags.length} applied changes; healthy: p99 under 1000 ms)`,
  );
  if (load.saturatedAt !== undefined)
    print(`${saturationWarning(pace.ratePerRegion, pace.capacity)} (from ${load.saturatedAt} s on)`);
  for (const region of REGIONS) {
    const tally = replication.tallies.get(region)!;
    print(
      `${region} replicator: ${tally.applied} applied to its peer, ${tally.stale} stale (already newer there), ${tally.deadLettered} dead-lettered`,
    );
  }
  print(`${REGIONS[0]}: ${comparison.live[0]} live items, ${comparison.tombstones[0]} tombstones`);
  print(`${REGIONS[1]}: ${comparison.live[1]} live items, ${comparison.tombstones[1]} tombstones`);
  const converged = comparison.differences.length === 0;
  if (converged) {
    print('IN SYNC: both regions hold the same items with the same versions, key by key.');
  } else {
    print(`NOT IN SYNC: ${comparison.differences.length} keys differ:`);
    for (const difference of comparison.differences.slice(0, 20)) {
      print(`  ${difference.kind} ${difference.key} ${difference.attributes.join(',')}`);
    }
  }
  return converged;
};

/** The audit operators run in production (`dynasync verify`): bounded memory, settled re-reads. */
const runVerify = async ({ print, config, clients, signal }: DemoRun): Promise<boolean> => {
  print('');
  print(`dynasync verify --from ${REGIONS[0]} --to ${REGIONS[1]}:`);
  const audit = await verify({
    config,
    from: REGIONS[0],
    to: REGIONS[1],
    clients,
    settleSeconds: 2,
    signal,
  });
  for (const line of formatReport(audit)) print(line === '' ? '' : `  ${line}`);
  return audit.inSync;
};

/** Warm-up then measured workload under the dashboard, drain, report and verify: the exit code. */
const runLoad = async (run: DemoRun): Promise<number> => {
  const { options, pace } = run;
  const writers = REGIONS.map((region) => ({
    name: region,
    table: TABLE,
    client: new DynasyncClient({
      client: run.clients[region]!,
      region,
      prefix: run.config.metadata.prefix,
    }),
  }));
  const counts: WorkloadCounts = { puts: 0, updates: 0, deletes: 0, concurrent: 0, errors: 0 };
  const failures = new Map<string, number>();
  printDashboardHeader(run);
  const dashboard = startDashboard(run, counts);
  try {
    const workload = (durationMs: number) =>
      runWorkload(
        {
          regions: writers,
          keys: options.keys,
          ratePerRegion: pace.ratePerRegion,
          failures,
          durationMs,
          signal: run.signal,
        },
        counts,
      );
    await workload(WARMUP_SECONDS * 1_000);
    dashboard.measuring = true;
    run.replication.measureFromMs = Date.now();
    await workload(options.seconds * 1_000);
    run.print('workload done; waiting for the replicators to drain ...');
    const comparison = await waitForDrain(run);
    clearInterval(dashboard.ticker);
    const converged = printSummary(run, { counts, failures, saturatedAt: dashboard.saturatedAt }, comparison);
    const inSync = await runVerify(run);
    return converged && inSync ? 0 : 1;
  } finally {
    clearInterval(dashboard.ticker);
  }
};

/** Stops the pollers, the clients and both instances, and removes the run's folder. */
const shutdown = async (resources: DemoResources, print: (line: string) => void): Promise<void> => {
  await Promise.all(resources.pollers.map((poller) => poller.stop()));
  for (const client of [...Object.values(resources.clients ?? {}), ...resources.streamsClients])
    client.destroy();
  await Promise.all(resources.instances.map((instance) => instance.stop()));
  await rm(resources.dir, { recursive: true, force: true });
  if (resources.config !== undefined) print('stopped the replicators and both DynamoDB Local processes.');
};

/**
 * The local two-region demo (`npm start`): two DynamoDB Local instances as two regions, a
 * replicator per region reading its stream (the `dynasync run` poller, in this process), a mixed
 * active-active workload through the stamping client with live throughput and lag, and at the end
 * a key-by-key comparison proving both regions hold the same items, then `dynasync verify` between
 * them. Cleans up its processes.
 * @returns the exit code: 0 when the regions converged and verify found no drift, 1 otherwise.
 */
export const runDemo = async (options: DemoOptions): Promise<number> => {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const abort = new AbortController();
  const resources: DemoResources = {
    dir: await mkdtemp(join(tmpdir(), 'dynasync-demo-')),
    instances: [],
    pollers: [],
    streamsClients: [],
  };
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    print('dynasync demo: two regions on DynamoDB Local, active-active, last-writer-wins');
    print('starting DynamoDB Local for eu-west-1 and us-east-1 ...');
    resources.instances.push(...(await Promise.all(REGIONS.map(() => startLocalDynamo()))));
    const pace = await measurePace(resources.instances, options, print);
    const { config, clients } = await createDemoTables(resources, print);
    const replication = await startReplicators(config, clients, resources);
    return await runLoad({ options, print, signal: abort.signal, config, clients, pace, replication });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await shutdown(resources, print);
  }
};
