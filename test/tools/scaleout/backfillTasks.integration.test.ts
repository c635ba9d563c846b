import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { metadataNamesFor } from '../../../core/config/topology.js';
import type { Item } from '../../../core/types.js';
import { compareTables } from '../../../tools/compareTables.js';
import {
  backfillJobSpec,
  createBackfillTaskRunner,
  readBackfillReport,
} from '../../../tools/scaleout/backfillTasks.js';
import type { JobStore } from '../../../tools/scaleout/protocol.js';
import { scanAll } from '../../../tools/tables.js';
import { verify } from '../../../tools/verify/verify.js';
import { killAllRuns, startCli } from '../../helpers/childRun.js';
import { memoryJobStore, runJobTasks } from '../../helpers/scaleout.js';
import {
  awaitReplication,
  type BackfillPair,
  backfillPair,
  liveWorkload,
  plainItems,
  SOURCE,
  sleep,
  TARGET,
} from '../backfill/backfillHarness.js';
import { batchPut } from '../verify/verifyHarness.js';

const names = metadataNamesFor('_ds_');
const pairs: BackfillPair[] = [];
afterEach(async () => {
  await killAllRuns();
  for (const pair of pairs.splice(0)) await pair.cleanup();
});
const pairOf = async (...args: Parameters<typeof backfillPair>) => {
  const pair = await backfillPair(...args);
  pairs.push(pair);
  return pair;
};

/** Counts the Scan requests a client sends, by segment. */
const countScans = (client: DynamoDBClient): Map<number, number> => {
  const scans = new Map<number, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ScanCommand') {
        const segment = (args.input as { Segment?: number }).Segment ?? -1;
        scans.set(segment, (scans.get(segment) ?? 0) + 1);
      }
      return next(args);
    },
    { step: 'initialize', name: 'countScans' },
  );
  return scans;
};

/** User attributes of every item of a table, by key, without dynasync's metadata. */
const userItems = async (client: DynamoDBClient, table: string): Promise<Map<string, Item>> => {
  const items = await scanAll(client, table);
  return new Map(
    items.map((item) => [
      JSON.stringify(item.pk),
      Object.fromEntries(Object.entries(item).filter(([name]) => !name.startsWith('_ds_'))) as Item,
    ]),
  );
};

const job = (jobId: string, options: { readonly pageSize?: number } = {}, concurrency = 4) =>
  backfillJobSpec({
    jobId,
    configVersion: 'test',
    from: SOURCE,
    to: TARGET,
    totalSegments: 4,
    concurrency,
    options,
    now: 0,
  });

const runnerFor = (pair: BackfillPair, store: JobStore) =>
  createBackfillTaskRunner({ config: pair.config, store, clients: pair.clients, now: () => 0 });

describe('backfill as segment tasks (DynamoDB Local)', () => {
  it('4 workers over 4 segments seed an empty replica exactly, and settle into the local report shape', async () => {
    // Prepare
    const pair = await pairOf();
    await batchPut(pair.source, pair.sourceTable, plainItems(300));
    const store = memoryJobStore();

    // Act
    const { results } = await runJobTasks(job('seed'), store, runnerFor(pair, store), { workers: 4 });

    // Assess: the target holds exactly the source's items (plus backfill's version stamps).
    const report = await readBackfillReport(store, 'seed');
    expect(results.at(-1)).toEqual({ kind: 'settle', inSync: true, reportKey: 'jobs/seed/report.json' });
    expect(report).toMatchObject({
      complete: true,
      scanned: 300,
      written: 300,
      stale: 0,
      failed: 0,
      skipped: 0,
    });
    expect(report?.path.chosen).toBe('conditional');
    expect(await userItems(pair.target, pair.targetTable)).toEqual(
      await userItems(pair.source, pair.sourceTable),
    );
    const audit = await verify({ config: pair.config, from: SOURCE, to: TARGET, settleSeconds: 0 });
    expect(audit.inSync).toBe(true);
    expect(await store.list('jobs/seed/segments/')).toHaveLength(8); // progress + result of each segment
  });

  it('a tiny deadline (injected clock) spreads each segment over several invocations, with the same result', async () => {
    // Prepare: the same items in two pairs; one run without deadlines, one that stops after every page.
    const [whole, sliced] = [await pairOf(), await pairOf()];
    for (const pair of [whole, sliced]) await batchPut(pair.source, pair.sourceTable, plainItems(240));
    const [wholeStore, slicedStore] = [memoryJobStore(), memoryJobStore()];

    // Act
    await runJobTasks(job('whole', { pageSize: 20 }), wholeStore, runnerFor(whole, wholeStore), {
      workers: 2,
    });
    const { invocations } = await runJobTasks(
      job('sliced', { pageSize: 20 }),
      slicedStore,
      runnerFor(sliced, slicedStore),
      { workers: 2, invocationMs: 0 }, // deadlineAt = clock() = 0: every invocation stops after its first page
    );

    // Assess
    const [a, b] = [
      await readBackfillReport(wholeStore, 'whole'),
      await readBackfillReport(slicedStore, 'sliced'),
    ];
    expect([...invocations.values()].every((count) => count >= 2)).toBe(true);
    expect([...invocations.values()].reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(12);
    const counted = (r: typeof a) => ({
      scanned: r?.scanned,
      written: r?.written,
      stale: r?.stale,
      failed: r?.failed,
      skipCodes: r?.skipCodes,
      complete: r?.complete,
    });
    expect(counted(b)).toEqual(counted(a));
    expect(b?.scanned).toBe(240);
    const comparison = await compareTables(
      { client: whole.target, table: whole.targetTable },
      { client: sliced.target, table: sliced.targetTable },
      ['pk'],
      names,
    );
    expect(comparison.differences).toEqual([]);
    expect(comparison.live).toEqual([240, 240]);
  });

  it('a re-run under the same job id does not scan finished segments again', async () => {
    // Prepare: a job interrupted after segments 0 and 1.
    const pair = await pairOf();
    await batchPut(pair.source, pair.sourceTable, plainItems(200));
    const store = memoryJobStore();
    const scans = countScans(pair.source);
    await runJobTasks(job('again'), store, runnerFor(pair, store), {
      workers: 2,
      segments: [0, 1],
      noSettle: true,
    });
    const firstRun = new Map(scans);
    scans.clear();

    // Act: the whole job again, then once more after it finished.
    await runJobTasks(job('again'), store, runnerFor(pair, store), { workers: 4 });
    const secondRun = new Map(scans);
    scans.clear();
    await runJobTasks(job('again'), store, runnerFor(pair, store), { workers: 4 });

    // Assess
    expect(firstRun.get(0)).toBeGreaterThan(0);
    expect(firstRun.get(1)).toBeGreaterThan(0);
    expect(secondRun.get(0)).toBeUndefined();
    expect(secondRun.get(1)).toBeUndefined();
    expect(secondRun.get(2)).toBeGreaterThan(0);
    expect(secondRun.get(3)).toBeGreaterThan(0);
    expect(scans.size).toBe(0);
    expect(await readBackfillReport(store, 'again')).toMatchObject({
      complete: true,
      scanned: 200,
      written: 200,
    });
  });
});

describe('backfill segment tasks while replication and a live workload run (DynamoDB Local)', () => {
  it('never overwrite a newer replicated version: the seeded replica verifies clean, deletes stay deleted', async () => {
    // Prepare: as backfill.live.integration.test.ts, 600 items written before replication starts.
    const pair = await pairOf({
      sourceStream: true,
      replicator: { startingPosition: 'LATEST', pollIntervalMs: 50, batchSize: 100 },
    });
    await batchPut(pair.source, pair.sourceTable, plainItems(600));
    const replicator = startCli({ args: ['run', '--config', pair.configFile, '--region', SOURCE] });
    await awaitReplication(pair, 'probe-start');

    // Act: a live workload while 4 workers backfill through segment tasks (slowed down to overlap).
    const workload = liveWorkload(pair, 7);
    const store = memoryJobStore();
    const spec = { ...job('live', { pageSize: 50 }), maxWps: 200 };
    await runJobTasks(
      spec,
      store,
      createBackfillTaskRunner({ config: pair.config, store, clients: pair.clients }),
      {
        workers: 4,
      },
    );
    await sleep(500);
    const ops = await workload.stop();
    await awaitReplication(pair, 'probe-end');

    // Assess
    const report = await readBackfillReport(store, 'live');
    expect(report?.path.chosen).toBe('conditional');
    expect(report?.complete).toBe(true);
    expect(ops.deletes).toBeGreaterThan(20);
    expect(ops.updates).toBeGreaterThan(20);
    const audit = await verify({ config: pair.config, from: SOURCE, to: TARGET, settleSeconds: 2 });
    expect(audit.counts).toMatchObject({ missing: 0, extra: 0, different: 0 });
    expect(audit.inSync).toBe(true);
    expect(audit.tombstones.target).toBeGreaterThan(0);
    await replicator.kill('SIGTERM');
  });
});
