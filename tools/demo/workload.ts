import type { DynasyncClient } from '../../client/DynasyncClient.js';
import { sleep } from '../../core/async/sleep.js';
import { failedWriteReason } from './pacing.js';

/** What the demo workload did, by kind of operation. */
export interface WorkloadCounts {
  puts: number;
  updates: number;
  deletes: number;
  /** Pairs of writes to the same key in two regions at the same moment. */
  concurrent: number;
  errors: number;
}

/** Options of {@link runWorkload}. */
export interface WorkloadOptions {
  /** One stamping client and table per region. */
  readonly regions: ReadonlyArray<{
    readonly name: string;
    readonly client: DynasyncClient;
    readonly table: string;
  }>;
  /** Number of distinct keys. */
  readonly keys: number;
  /** Operations per second per region. */
  readonly ratePerRegion: number;
  readonly durationMs: number;
  readonly signal?: AbortSignal;
  readonly random?: () => number;
  /** Counts failed writes by reason (see `failedWriteReason`): an error code or name, never a message. */
  readonly failures?: Map<string, number>;
}

const TIERS = ['free', 'pro', 'team', 'enterprise'] as const;

/**
 * A mixed workload in every region at once: puts (55%), updates (30%), deletes (10%) and
 * concurrent writes of one key in two regions (5%). Every write goes through the stamping client,
 * as an application's would. Items carry `updatedAtMs` so replication lag can be measured.
 */
export const runWorkload = async (options: WorkloadOptions, counts: WorkloadCounts): Promise<void> => {
  const random = options.random ?? Math.random;
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const key = () => ({ pk: { S: `user#${String(Math.floor(random() * options.keys)).padStart(5, '0')}` } });
  const item = (region: string, pk: { S: string }) => ({
    pk,
    tier: { S: pick(TIERS) },
    points: { N: String(Math.floor(random() * 10_000)) },
    balance: { N: `${Math.floor(random() * 1e12)}.${String(Math.floor(random() * 1e6)).padStart(6, '0')}` },
    tags: { SS: [...new Set([pick(['a', 'b', 'c']), pick(['x', 'y', 'z'])])] },
    lastRegion: { S: region },
    updatedAtMs: { N: String(Date.now()) },
  });
  const inFlight = new Set<Promise<void>>();
  const track = (operation: Promise<unknown>) => {
    const settled: Promise<void> = operation.then(
      () => undefined,
      (error: unknown) => {
        counts.errors += 1;
        const reason = failedWriteReason(error);
        options.failures?.set(reason, (options.failures.get(reason) ?? 0) + 1);
      },
    );
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
  };
  const intervalMs = 1000 / options.ratePerRegion;
  const started = Date.now();
  let tick = 0;
  while (Date.now() - started < options.durationMs && options.signal?.aborted !== true) {
    for (const region of options.regions) {
      const roll = random();
      const pk = key().pk;
      if (roll < 0.55) {
        counts.puts += 1;
        track(region.client.put({ TableName: region.table, Item: item(region.name, pk) }));
      } else if (roll < 0.85) {
        counts.updates += 1;
        track(
          region.client.update({
            TableName: region.table,
            Key: { pk },
            UpdateExpression: 'SET lastRegion = :r, updatedAtMs = :t ADD points :one',
            ExpressionAttributeValues: {
              ':r': { S: region.name },
              ':t': { N: String(Date.now()) },
              ':one': { N: '1' },
            },
          }),
        );
      } else if (roll < 0.95) {
        counts.deletes += 1;
        track(region.client.delete({ TableName: region.table, Key: { pk } }));
      } else {
        counts.concurrent += 1;
        for (const other of options.regions)
          track(other.client.put({ TableName: other.table, Item: item(other.name, pk) }));
      }
    }
    tick += 1;
    const due = started + tick * intervalMs;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  await Promise.all(inFlight);
};
