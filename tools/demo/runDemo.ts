import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
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
import { compareTables } from '../compareTables.js';
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
  const instances: LocalDynamo[] = [];
  const pollers: StreamPoller[] = [];
  const streamsClients: Array<ReturnType<typeof createStreamsClient>> = [];
  const abort = new AbortController();
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-demo-'));
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let config: Config | undefined;
  let clients: ReturnType<typeof createDynamoClients> | undefined;
  try {
    print('dynasync demo: two regions on DynamoDB Local, active-active, last-writer-wins');
    print('starting DynamoDB Local for eu-west-1 and us-east-1 ...');
    instances.push(...(await Promise.all(REGIONS.map(() => startLocalDynamo()))));
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
    const ratePerRegion =
      options.rate ?? chooseRate({ capacityPutsPerSecond: capacity, requestsPerWrite: 2 });
    print(
      `measured capacity: ${probes.map((probe, i) => `${REGIONS[i]} ${Math.round(probe.capacityPutsPerSecond)}`).join(', ')} conditional puts/s (both busy)`,
    );
    print(
      options.rate === undefined
        ? `rate: ${ratePerRegion} writes/s per region = ${DEFAULT_CAPACITY_FRACTION * 100}% of ${Math.round(capacity)} puts/s ÷ 2 (each instance serves its own writes and the other region's replicated ones); --rate overrides`
        : `rate: ${ratePerRegion} writes/s per region (--rate), ${Math.round(((ratePerRegion * 2) / capacity) * 100)}% of the measured ${Math.round(capacity)} puts/s`,
    );
    config = parseConfig(
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
    const activeConfig = config;
    clients = createDynamoClients(config);
    const regionClients = clients;
    await Promise.all(
      REGIONS.map((region) =>
        createReplicatedTable(regionClients[region]!, TABLE, { partitionKey: { name: 'pk', type: 'S' } }),
      ),
    );
    await checkTables(config, clients);
    print(`tables ready: ${REGIONS.map((region, i) => `${region} → ${instances[i]!.endpoint}`).join(', ')}`);

    const quiet = new Logger({ serviceName: 'dynasync', logLevel: 'ERROR' });
    const tallies = new Map<string, Tally>();
    /** Lags of the changes written after the warm-up (by their stamp), for the summary. */
    const allLags: number[] = [];
    /** Changes stamped before this epoch ms belong to the warm-up. */
    let measureFromMs = Number.POSITIVE_INFINITY;
    let lastActivity = Date.now();
    for (const region of REGIONS) {
      const tally: Tally = { applied: 0, stale: 0, deadLettered: 0, unfinished: 0, lags: [] };
      tallies.set(region, tally);
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
            if (stampedAt >= measureFromMs) allLags.push(lag);
          } else if (result.outcome === WriteOutcomes.stale) {
            tally.stale += 1;
          }
        },
      });
      const poller = new StreamPoller({
        config,
        region,
        replicator,
        streamsClient: streamsClients[streamsClients.push(createStreamsClient(config, region)) - 1]!,
        dynamoClient: clients[region]!,
        checkpoints: FileCheckpointStore.forRegion(config, region),
        logger: quiet,
        statsIntervalMs: 0,
        onBatch: (result) => {
          if (result.counts.records > 0) lastActivity = Date.now();
          tally.deadLettered += result.counts.deadLettered;
          tally.unfinished += result.counts.unfinished;
        },
      });
      pollers.push(poller);
      await poller.start();
    }

    const names = metadataNames(config);
    const writers = REGIONS.map((region) => ({
      name: region,
      table: TABLE,
      client: new DynasyncClient({
        client: regionClients[region]!,
        region,
        prefix: activeConfig.metadata.prefix,
      }),
    }));
    const counts: WorkloadCounts = { puts: 0, updates: 0, deletes: 0, concurrent: 0, errors: 0 };
    const failures = new Map<string, number>();
    print(
      `workload: ${ratePerRegion} writes/s per region for ${WARMUP_SECONDS} s of warm-up, then ${options.seconds} s, over ${options.keys} keys (55% put, 30% update, 10% delete, 5% same key in both regions at once)`,
    );
    print('');
    for (const line of demoLegend()) print(line);
    print('');
    print(
      '  time  writes/s   eu-west-1→us-east-1   us-east-1→eu-west-1   stale   dead-lettered   lag p50   lag p99',
    );
    const started = Date.now();
    let previousWrites = 0;
    const previousApplied = new Map<string, number>(REGIONS.map((region) => [region, 0]));
    /** Lag p50 of each dashboard second, for the saturation check. */
    const lagSeries: number[] = [];
    let saturatedAt: number | undefined;
    /** Replication warms up too (stream reads, the replicator's code paths): its first seconds are not summarised. */
    let measuring = false;
    const ticker = setInterval(() => {
      const writes = counts.puts + counts.updates + counts.deletes + counts.concurrent * 2;
      const lags = REGIONS.flatMap((region) => tallies.get(region)!.lags.splice(0));
      if (measuring) {
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
        `  ${String(Math.round((Date.now() - started) / 1000)).padStart(3)}s  ${String(writes - previousWrites).padStart(8)}   ${rate(REGIONS[0]).padStart(19)}   ${rate(REGIONS[1]).padStart(19)}   ${String(stale).padStart(5)}   ${String(dead).padStart(13)}   ${format(percentile(lags, 50))}   ${format(percentile(lags, 99))}${measuring ? '' : '   (warm-up)'}`,
      );
      previousWrites = writes;
      if (saturatedAt === undefined && isSaturated(lagSeries)) {
        saturatedAt = Math.round((Date.now() - started) / 1000);
        print(`  ${saturationWarning(ratePerRegion, capacity)}`);
      }
    }, 1_000);
    try {
      const workload = (durationMs: number) =>
        runWorkload(
          { regions: writers, keys: options.keys, ratePerRegion, failures, durationMs, signal: abort.signal },
          counts,
        );
      await workload(WARMUP_SECONDS * 1_000);
      measuring = true;
      measureFromMs = Date.now();
      await workload(options.seconds * 1_000);
      print('workload done; waiting for the replicators to drain ...');
      const deadline = Date.now() + 60_000;
      let comparison = await compareTables(
        { client: clients[REGIONS[0]]!, table: TABLE },
        { client: clients[REGIONS[1]]!, table: TABLE },
        ['pk'],
        names,
      );
      while (
        !abort.signal.aborted &&
        Date.now() < deadline &&
        (Date.now() - lastActivity < 1_500 || comparison.differences.length > 0)
      ) {
        await sleep(500);
        comparison = await compareTables(
          { client: clients[REGIONS[0]]!, table: TABLE },
          { client: clients[REGIONS[1]]!, table: TABLE },
          ['pk'],
          names,
        );
      }
      clearInterval(ticker);
      const total = counts.puts + counts.updates + counts.deletes + counts.concurrent * 2;
      print('');
      print(
        `writes: ${total} (${counts.puts} puts, ${counts.updates} updates, ${counts.deletes} deletes, ${counts.concurrent} concurrent pairs; ${formatFailedWrites(failures)})`,
      );
      const summary = (value: number | undefined) => (value === undefined ? '-' : `${Math.round(value)} ms`);
      print(
        `lag of the changes written after warm-up: p50 ${summary(percentile(allLags, 50))}, p99 ${summary(percentile(allLags, 99))}, max ${allLags.length === 0 ? '-' : `${Math.max(...allLags)} ms`} (${allLags.length} applied changes; healthy: p99 under 1000 ms)`,
      );
      if (saturatedAt !== undefined)
        print(`${saturationWarning(ratePerRegion, capacity)} (from ${saturatedAt} s on)`);
      for (const region of REGIONS) {
        const tally = tallies.get(region)!;
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
      // The audit operators run in production (`dynasync verify`): bounded memory, settled re-reads.
      print('');
      print(`dynasync verify --from ${REGIONS[0]} --to ${REGIONS[1]}:`);
      const audit = await verify({
        config: activeConfig,
        from: REGIONS[0],
        to: REGIONS[1],
        clients: regionClients,
        settleSeconds: 2,
        signal: abort.signal,
      });
      for (const line of formatReport(audit)) print(line === '' ? '' : `  ${line}`);
      return converged && audit.inSync ? 0 : 1;
    } finally {
      clearInterval(ticker);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.all(pollers.map((poller) => poller.stop()));
    for (const client of [...Object.values(clients ?? {}), ...streamsClients]) client.destroy();
    await Promise.all(instances.map((instance) => instance.stop()));
    await rm(dir, { recursive: true, force: true });
    if (config !== undefined) print('stopped the replicators and both DynamoDB Local processes.');
  }
};
