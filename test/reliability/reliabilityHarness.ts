import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MetadataNames } from '../../core/config/index.js';
import type { BatchCounts } from '../../replicator/types.js';
import { compareTables, type TableComparison } from '../../tools/compareTables.js';
import { FaultKinds, FaultProxy, type FaultRates, type RunningFaultProxy } from '../helpers/faultProxy.js';

/** The two "regions" of the reliability tests, on DynamoDB Local instances 0 and 1. */
export const EU = 'eu-west-1';
export const US = 'us-east-1';
export const REGIONS = [EU, US] as const;

/**
 * The seed of this run's fault patterns: `FAULT_SEED=<n>` replays a run (as far as request order
 * replays), else a fresh one, printed with the figures.
 */
export const faultSeed = (): number => {
  const fromEnv = Number(process.env.FAULT_SEED);
  const seed = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 1 + Math.floor(Math.random() * 2 ** 31);
  // Printed first, so a failing run can be replayed whatever assertion it stops at.
  process.stdout.write(`fault seed ${seed} (replay: FAULT_SEED=${seed})\n`);
  return seed;
};

/** A fault proxy per region, each in front of that region's DynamoDB Local. */
export interface RegionProxies {
  readonly proxies: Record<string, FaultProxy>;
  readonly endpoints: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts one {@link FaultProxy} per region (instance 0 for EU, 1 for US), seeded `seed`, `seed + 1`. */
export const startRegionProxies = async (
  targets: Readonly<Record<string, string>>,
  rates: FaultRates,
  seed: number,
  slowMs = 200,
): Promise<RegionProxies> => {
  const proxies: Record<string, FaultProxy> = {};
  const running: RunningFaultProxy[] = [];
  const endpoints: Record<string, string> = {};
  let offset = 0;
  for (const [region, target] of Object.entries(targets)) {
    const proxy = new FaultProxy({ target, rates, seed: seed + offset, slowMs });
    offset += 1;
    const started = await proxy.start();
    proxies[region] = proxy;
    running.push(started);
    endpoints[region] = started.endpoint;
  }
  return {
    proxies,
    endpoints,
    stop: async () => {
      await Promise.all(running.map((proxy) => proxy.stop()));
    },
  };
};

/** The faults all proxies injected, by kind, and the requests they saw. */
export const faultTotals = (proxies: Readonly<Record<string, FaultProxy>>) => {
  const totals: Record<string, number> = { requests: 0 };
  for (const kind of FaultKinds) totals[kind] = 0;
  for (const proxy of Object.values(proxies)) {
    totals.requests! += proxy.counts.requests;
    for (const kind of FaultKinds) totals[kind]! += proxy.counts[kind];
  }
  return totals as Record<(typeof FaultKinds)[number] | 'requests', number>;
};

/** Faults by operation and kind over all proxies, e.g. `PutItem throttle=12 drop=3`. */
export const faultsByOperation = (proxies: Readonly<Record<string, FaultProxy>>): string => {
  const merged: Record<string, Record<string, number>> = {};
  for (const proxy of Object.values(proxies)) {
    for (const [operation, kinds] of Object.entries(proxy.counts.byOperation)) {
      const into = merged[operation] ?? {};
      for (const [kind, count] of Object.entries(kinds)) into[kind] = (into[kind] ?? 0) + (count ?? 0);
      merged[operation] = into;
    }
  }
  return Object.entries(merged)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(
      ([operation, kinds]) =>
        `${operation}(${Object.entries(kinds)
          .map(([kind, count]) => `${kind}=${count}`)
          .join(' ')})`,
    )
    .join(', ');
};

/** Requests by operation over all proxies, e.g. `GetRecords=120, PutItem=480`. */
export const requestsByOperation = (proxies: Readonly<Record<string, FaultProxy>>): string => {
  const merged: Record<string, number> = {};
  for (const proxy of Object.values(proxies))
    for (const [operation, count] of Object.entries(proxy.counts.requestsByOperation))
      merged[operation] = (merged[operation] ?? 0) + count;
  return Object.entries(merged)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([operation, count]) => `${operation}=${count}`)
    .join(', ');
};

/** Sums one field over batch counts. */
export const sumOf = (counts: readonly BatchCounts[], pick: (c: BatchCounts) => number): number =>
  counts.reduce((total, c) => total + pick(c), 0);

/** Compares the EU and US tables with tools/compareTables: one name for both, or one per region. */
export const compareRegions = (
  direct: Readonly<Record<string, DynamoDBClient>>,
  tables: string | Readonly<Record<string, string>>,
  names: MetadataNames,
): Promise<TableComparison> => {
  const tableOf = (region: string): string => (typeof tables === 'string' ? tables : tables[region]!);
  return compareTables(
    { client: direct[EU]!, table: tableOf(EU) },
    { client: direct[US]!, table: tableOf(US) },
    ['pk'],
    names,
  );
};

/** Prints a block of figures, one `name: value` per line, under a title. */
export const printFigures = (title: string, figures: Readonly<Record<string, unknown>>): void => {
  const lines = Object.entries(figures).map(
    ([name, value]) => `  ${name.padEnd(22)} ${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  console.log(`\n── ${title} ──\n${lines.join('\n')}\n`);
};
