import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { DynasyncClient } from '../../client/DynasyncClient.js';
import { compareVersions, decodeVersion } from '../../conflict/version.js';
import { type Config, type ConfigInput, metadataNames, parseConfig } from '../../core/config/index.js';
import { keyIdOf } from '../../core/keyId.js';
import type { Item } from '../../core/types.js';
import { createReplicator, deadLetterPath } from '../../replicator/createReplicator.js';
import { FileDeadLetterSink } from '../../replicator/deadLetter/FileDeadLetterSink.js';
import type { DeadLetter } from '../../replicator/deadLetter/types.js';
import { redrive } from '../../replicator/redrive/redrive.js';
import { createReplicatedTable, scanAll } from '../../tools/tables.js';
import { killAllRuns, type RunChild, type RunExit, startRun } from '../helpers/childRun.js';
import { localClient, localEndpoint, readWholeStream, uniqueTableName } from '../helpers/dynamo.js';
import { stamped, streamRecord, version } from '../helpers/factories.js';
import { type FaultRates, mulberry32 } from '../helpers/faultProxy.js';
import { recordingLogger } from '../replicator/poller/pollerHarness.js';
import {
  compareRegions,
  EU,
  faultSeed,
  faultsByOperation,
  faultTotals,
  printFigures,
  REGIONS,
  type RegionProxies,
  requestsByOperation,
  startRegionProxies,
  US,
} from './reliabilityHarness.js';

/**
 * THE DONE CRITERION of the reliability issue: under 10% injected throttling and 2% connection
 * drops (plus 1% of writes applied whose answer is lost), with repeated SIGKILL restarts of both
 * regions' `dynasync run`, a mixed active-active workload converges with every permanently bad
 * record in the dead-letter sink and nothing else missing; `redrive` replays them after a config
 * fix.
 *
 * The permanently bad records: us-east-1's table has a GSI on `category` of type N; some
 * eu-west-1 writes carry `category` as S (eu-west-1 has no such index, so the application's write
 * succeeds there). Replicating them into us-east-1 fails with a ValidationException ("Type mismatch
 * for Index Key"), which DynamoDB Local enforces as DynamoDB does. The fix: delete the GSI.
 *
 * ```
 * app EU ─┐                 ┌─ proxy EU (faults) ─ DynamoDB Local 0 (no GSI)
 *         ├─ direct writes ─┤
 * app US ─┘                 └─ proxy US (faults) ─ DynamoDB Local 1 (GSI category: N)
 * dynasync run EU / US (child processes, SIGKILLed and restarted) read streams and write peers via the proxies
 * ```
 */

const RATES: FaultRates = { throttle: 0.1, drop: 0.02, dropAfterForward: 0.01 };
const WORKLOAD_MS = 16_000;
const KILLS_PER_REGION = 3;
const KEYS = 100;
const RATE_PER_REGION = 15;
const INDEX = 'byCategory';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  await killAllRuns();
});
afterAll(async () => {
  await killAllRuns();
});

/**
 * Keeps one `dynasync run` child per region alive, as systemd's `Restart=always` would: a child
 * that exits on its own (not killed here) is started again and recorded.
 */
class Supervisor {
  public readonly runs: RunChild[] = [];
  public readonly unexpectedExits: Array<{ exit: RunExit; reason: string }> = [];
  public kills = 0;
  private current: RunChild | undefined;
  private readonly expected = new Set<RunChild>();
  private stopping = false;

  public constructor(
    private readonly configFile: string,
    public readonly region: string,
  ) {}

  public start(): void {
    const child = startRun({ configFile: this.configFile, region: this.region, statsIntervalSeconds: 1 });
    this.current = child;
    this.runs.push(child);
    child.exited
      .then(async (exit) => {
        if (this.expected.has(child) || this.stopping) return;
        const reason =
          child
            .stderr()
            .split('\n')
            .find((line) => line.startsWith('dynasync:')) ?? child.stderr().slice(-300);
        this.unexpectedExits.push({ exit, reason });
        await sleep(300);
        if (!this.stopping && this.current === child) this.start();
      })
      .catch(() => undefined);
  }

  /** Resolves once the current child has started reading its stream. */
  public async started(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const child = this.current;
      if (child?.running === true && child.stdout().includes('"stream poller started"')) return;
      await sleep(100);
    }
    throw new Error(`dynasync run ${this.region} did not start in ${timeoutMs} ms`);
  }

  /** SIGKILLs the current child (no graceful stop, no checkpoint save) and starts a new one. */
  public async crash(): Promise<void> {
    const child = this.current;
    if (child === undefined) return;
    this.expected.add(child);
    await child.kill('SIGKILL');
    this.kills += 1;
    this.start();
  }

  /** SIGTERMs the current child, once it is up, and waits for its graceful exit. */
  public async stop(): Promise<RunExit | undefined> {
    await this.started();
    this.stopping = true;
    const child = this.current;
    if (child === undefined) return undefined;
    this.expected.add(child);
    return child.kill('SIGTERM', 30_000);
  }

  /** Sums a numeric field of the child logs' lines with this message, over every run. */
  public sum(message: string, field: string): number {
    return this.runs
      .flatMap((run) => run.logs())
      .filter((line) => line.message === message)
      .reduce((total, line) => total + (typeof line[field] === 'number' ? (line[field] as number) : 0), 0);
  }

  public count(message: string): number {
    return this.runs.flatMap((run) => run.logs()).filter((line) => line.message === message).length;
  }
}

/** Creates us-east-1's table: like every region's, plus a GSI whose key `category` is a number. */
const createTableWithNumericIndex = async (client: DynamoDBClient, table: string): Promise<void> => {
  await client.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'category', AttributeType: 'N' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      GlobalSecondaryIndexes: [
        {
          IndexName: INDEX,
          KeySchema: [{ AttributeName: 'category', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
  await vi.waitFor(
    async () => {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
      expect(Table?.TableStatus).toBe('ACTIVE');
    },
    { timeout: 20_000, interval: 100 },
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { AttributeName: '_ds_ttl', Enabled: true },
    }),
  );
};

/** How the permanent failure was removed before the redrive. */
interface Fix {
  /** The config to redrive with (the same one, or one pointing us-east-1 at another table). */
  readonly config: Config;
  /** The table of each region after the fix. */
  readonly tables: Record<string, string>;
  readonly how: string;
  readonly ms: number;
}

/**
 * Fix B, a config change: a new us-east-1 table without the index, holding every item of the old
 * one (metadata included), and the config's `regions.us-east-1.table` pointed at it.
 */
const moveToTableWithoutIndex = async (
  client: DynamoDBClient,
  input: ConfigInput,
  table: string,
): Promise<Omit<Fix, 'how' | 'ms'>> => {
  const moved = `${table}-v2`;
  await createReplicatedTable(client, moved, { partitionKey: { name: 'pk', type: 'S' } });
  for (const item of await scanAll(client, table))
    await client.send(new PutItemCommand({ TableName: moved, Item: item as never }));
  const regions = input.regions as Record<string, { table: string; endpoint?: string }>;
  const config = parseConfig({ ...input, regions: { ...regions, [US]: { ...regions[US]!, table: moved } } });
  return { config, tables: { [EU]: table, [US]: moved } };
};

/**
 * The config fix: fix A deletes us-east-1's numeric index and waits until DynamoDB Local has
 * removed it (DELETING → gone; until then writes of the bad items still fail). DynamoDB Local
 * sometimes leaves an index DELETING for minutes (seen in about a third of full-suite runs, never
 * on AWS); then fix B, the move to a table without the index, is applied instead.
 */
const removeCause = async (client: DynamoDBClient, input: ConfigInput, table: string): Promise<Fix> => {
  const started = Date.now();
  await client.send(
    new UpdateTableCommand({
      TableName: table,
      GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: INDEX } }],
    }),
  );
  try {
    await vi.waitFor(
      async () => {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
        expect(Table?.GlobalSecondaryIndexes ?? []).toEqual([]);
      },
      { timeout: 45_000, interval: 250 },
    );
    return {
      config: parseConfig(input),
      tables: { [EU]: table, [US]: table },
      how: `index ${INDEX} deleted in us-east-1`,
      ms: Date.now() - started,
    };
  } catch {
    const moved = await moveToTableWithoutIndex(client, input, table);
    return {
      ...moved,
      how: `DynamoDB Local left index ${INDEX} DELETING; us-east-1 moved to table ${moved.tables[US]} without it`,
      ms: Date.now() - started,
    };
  }
};

const isBadImage = (image: Record<string, unknown> | undefined): boolean =>
  image !== undefined && typeof (image.category as { S?: unknown } | undefined)?.S === 'string';

const versionOf = (image: Record<string, unknown> | undefined): string | undefined =>
  (image?._ds_v as { S?: string } | undefined)?.S;

const newer = (a: string, b: string): boolean => compareVersions(decodeVersion(a), decodeVersion(b)) > 0;

/** A mixed application workload in both regions; some EU writes carry `category` as S (bad for US). */
const runMixedWorkload = async (
  apps: Record<string, DynasyncClient>,
  table: string,
  seed: number,
  durationMs: number,
) => {
  const random = mulberry32(seed);
  const counts = { puts: 0, updates: 0, deletes: 0, concurrent: 0, badPuts: 0, errors: 0 };
  const inFlight = new Set<Promise<void>>();
  const track = (operation: Promise<unknown>) => {
    const settled: Promise<void> = operation.then(
      () => undefined,
      () => {
        counts.errors += 1;
      },
    );
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
  };
  const key = () => ({ S: `user#${String(Math.floor(random() * KEYS)).padStart(4, '0')}` });
  const item = (region: string, pk: { S: string }) => ({
    pk,
    lastRegion: { S: region },
    points: { N: String(Math.floor(random() * 10_000)) },
    balance: { N: `${Math.floor(random() * 1e12)}.${String(Math.floor(random() * 1e6)).padStart(6, '0')}` },
    ...(random() < 0.7 ? { category: { N: String(Math.floor(random() * 5)) } } : {}),
  });
  const started = Date.now();
  const intervalMs = 1000 / RATE_PER_REGION;
  for (let tick = 1; Date.now() - started < durationMs; tick += 1) {
    for (const region of REGIONS) {
      const app = apps[region]!;
      const pk = key();
      const roll = random();
      if (roll < 0.45) {
        counts.puts += 1;
        track(app.put({ TableName: table, Item: item(region, pk) }));
      } else if (roll < 0.7) {
        counts.updates += 1;
        track(
          app.update({
            TableName: table,
            Key: { pk },
            UpdateExpression: 'SET lastRegion = :r ADD points :one',
            ExpressionAttributeValues: { ':r': { S: region }, ':one': { N: '1' } },
          }),
        );
      } else if (roll < 0.8) {
        counts.deletes += 1;
        track(app.delete({ TableName: table, Key: { pk } }));
      } else if (roll < 0.88) {
        counts.concurrent += 1;
        for (const other of REGIONS) track(apps[other]!.put({ TableName: table, Item: item(other, pk) }));
      } else if (region === EU) {
        // Permanently bad for us-east-1: its index needs category as a number.
        counts.badPuts += 1;
        track(app.put({ TableName: table, Item: { ...item(region, pk), category: { S: 'gold' } } }));
      } else {
        counts.puts += 1;
        track(app.put({ TableName: table, Item: item(region, pk) }));
      }
    }
    const due = started + tick * intervalMs;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  await Promise.all(inFlight);
  return counts;
};

interface Oracle {
  /** EU items by key id. */
  readonly eu: Map<string, Item>;
  /** Keys whose newest state (EU's) is bad for US: they must differ, and only they. */
  readonly badKeys: Set<string>;
}

const oracle = async (direct: Record<string, DynamoDBClient>, table: string): Promise<Oracle> => {
  const items = await scanAll(direct[EU]!, table);
  const eu = new Map(items.map((item) => [keyIdOf({ pk: item.pk! }), item]));
  const badKeys = new Set(
    [...eu].filter(([, item]) => isBadImage(item as Record<string, unknown>)).map(([key]) => key),
  );
  return { eu, badKeys };
};

describe('crash and restart under faults (the done criterion)', () => {
  it('converges with every permanently bad record dead-lettered and nothing else missing; redrive replays them after the fix', async () => {
    // Prepare: two regions, the US table with a numeric GSI, fault proxies, a config file.
    const dir = await mkdtemp(join(tmpdir(), 'dynasync-crash-'));
    const seed = faultSeed();
    const table = uniqueTableName('crash');
    const direct: Record<string, DynamoDBClient> = { [EU]: localClient(0), [US]: localClient(1) };
    let proxies: RegionProxies | undefined;
    const supervisors: Supervisor[] = [];
    try {
      await createReplicatedTable(direct[EU]!, table, { partitionKey: { name: 'pk', type: 'S' } });
      await createTableWithNumericIndex(direct[US]!, table);
      proxies = await startRegionProxies({ [EU]: localEndpoint(0), [US]: localEndpoint(1) }, RATES, seed);
      const configInput: ConfigInput = {
        version: 1,
        name: 'crash-restart',
        regions: {
          [EU]: { table, endpoint: proxies.endpoints[EU]! },
          [US]: { table, endpoint: proxies.endpoints[US]! },
        },
        topology: { type: 'active-active' },
        deadLetter: { type: 'file', dir: join(dir, 'dlq') },
        replicator: { checkpointDir: join(dir, 'cp'), pollIntervalMs: 50, maxDelayMs: 500, batchSize: 50 },
      };
      const configFile = join(dir, 'dynasync.json');
      await writeFile(configFile, JSON.stringify(configInput, null, 2));
      const config: Config = parseConfig(configInput);
      const names = metadataNames(config);
      const apps = Object.fromEntries(
        REGIONS.map((region) => [region, new DynasyncClient({ client: direct[region]!, region })]),
      );
      for (const region of REGIONS) supervisors.push(new Supervisor(configFile, region));
      for (const supervisor of supervisors) supervisor.start();
      await Promise.all(supervisors.map((supervisor) => supervisor.started()));

      // Act: the workload, while each region's replicator is SIGKILLed at random moments and restarted.
      const random = mulberry32(seed ^ 0x5eed);
      let workloadDone = false;
      const workload = runMixedWorkload(apps, table, seed, WORKLOAD_MS).finally(() => {
        workloadDone = true;
      });
      const chaos = supervisors.map(async (supervisor) => {
        while (!workloadDone || supervisor.kills < KILLS_PER_REGION) {
          await supervisor.started();
          await sleep(300 + random() * 2_500);
          await supervisor.crash();
        }
        await supervisor.started();
      });
      const counts = await workload;
      await Promise.all(chaos);
      const workloadEndedAt = Date.now();

      // Drain: wait until the tables agree except exactly the keys whose newest write is bad, and each
      // of those has its dead letter.
      const euSink = new FileDeadLetterSink(deadLetterPath(config, EU));
      const usSink = new FileDeadLetterSink(deadLetterPath(config, US));
      let state: Oracle | undefined;
      let letters: DeadLetter[] = [];
      await vi.waitFor(
        async () => {
          state = await oracle(direct, table);
          const comparison = await compareRegions(direct, table, names);
          const differing = new Set(comparison.differences.map((difference) => difference.key));
          expect(
            [...differing].filter((key) => !state!.badKeys.has(key)),
            'good keys that differ',
          ).toEqual([]);
          expect(
            [...state.badKeys].filter((key) => !differing.has(key)),
            'bad keys that agree',
          ).toEqual([]);
          letters = await euSink.readAll();
          const lettered = new Set(letters.map((letter) => versionOf(letter.record.dynamodb?.NewImage)));
          const unlettered = [...state.badKeys].filter(
            (key) => !lettered.has(versionOf(state!.eu.get(key) as Record<string, unknown>)),
          );
          expect(unlettered, 'bad keys without a dead letter of their newest record').toEqual([]);
        },
        { timeout: 60_000, interval: 1_000 },
      );
      const drainMs = Date.now() - workloadEndedAt;
      const exits = await Promise.all(supervisors.map((supervisor) => supervisor.stop()));
      const { eu, badKeys } = state!;
      letters = await euSink.readAll();

      // Assess 1: graceful stops.
      for (const exit of exits) expect(exit).toEqual({ code: 0, signal: null });

      // Assess 2: US dead-letters nothing; every EU letter is a bad record, whole, rejected by us-east-1.
      expect(await usSink.readAll()).toEqual([]);
      const stream = await readWholeStream(direct[EU]!, localEndpoint(0), table);
      const bySequence = new Map(stream.map((record) => [record.dynamodb!.SequenceNumber!, record]));
      const badRecords = stream.filter((record) =>
        isBadImage(record.dynamodb?.NewImage as Record<string, unknown> | undefined),
      );
      const distinct = new Map<string, DeadLetter>();
      for (const letter of letters) {
        const sequenceNumber = letter.record.dynamodb!.SequenceNumber!;
        expect(letter.error.code).toBe('replicator.writeRejected');
        expect(letter.error.message).toMatch(/ValidationException/);
        expect(letter.targetRegions).toEqual([US]);
        expect(letter.sourceRegion).toBe(EU);
        const original = bySequence.get(sequenceNumber);
        expect(original, `letter ${sequenceNumber} is a record of the EU stream`).toBeDefined();
        expect(isBadImage(original!.dynamodb!.NewImage as Record<string, unknown>), 'only bad records').toBe(
          true,
        );
        expect(letter.record.eventName).toBe(original!.eventName);
        expect(letter.record.dynamodb?.Keys).toEqual(original!.dynamodb?.Keys);
        expect(letter.record.dynamodb?.NewImage, 'the whole record').toEqual(original!.dynamodb?.NewImage);
        expect(letter.record.dynamodb?.OldImage).toEqual(original!.dynamodb?.OldImage);
        distinct.set(sequenceNumber, letter);
      }
      // Every bad record is dead-lettered, or superseded by a newer version of its key (coalesced in
      // its batch, or overwritten later): nothing bad is silently dropped.
      const superseded = badRecords.filter((record) => {
        const key = keyIdOf({ pk: record.dynamodb!.Keys!.pk as Item[string] });
        const finalVersion = versionOf(eu.get(key) as Record<string, unknown>);
        const version = versionOf(record.dynamodb!.NewImage as Record<string, unknown>)!;
        return finalVersion !== undefined && newer(finalVersion, version);
      });
      const neither = badRecords.filter(
        (record) => !distinct.has(record.dynamodb!.SequenceNumber!) && !superseded.includes(record),
      );
      expect(
        neither.map((record) => record.dynamodb!.SequenceNumber),
        'bad records lost',
      ).toEqual([]);

      // Act 2: the config fix (drop the numeric index in us-east-1), then redrive EU's letters, through the faults.
      const fix = await removeCause(direct[US]!, configInput, table);
      const redriveStartedAt = Date.now();
      const reports = [];
      for (let round = 0; round < 5; round += 1) {
        const report = await redrive({ config: fix.config, region: EU, logger: recordingLogger() });
        reports.push(report);
        if (report.failedAgain === 0) break;
      }
      const redriven = {
        replayed: reports.reduce((n, r) => n + r.replayed, 0),
        stale: reports.reduce((n, r) => n + r.stale, 0),
        duplicates: reports.reduce((n, r) => n + r.duplicates, 0),
        failedAgain: reports.at(-1)!.failedAgain,
        rounds: reports.length,
        ms: Date.now() - redriveStartedAt,
      };

      // Assess 3: the tables agree completely, and the dead letters are gone.
      const after = await compareRegions(direct, fix.tables, names);
      expect(after.differences).toEqual([]);
      expect(await euSink.readAll()).toEqual([]);
      expect(redriven.failedAgain).toBe(0);
      // A batch dead-lettered again after a crash gives the same letters twice: redrive settles one
      // copy of each and removes the others with it.
      expect(redriven.replayed + redriven.stale).toBe(distinct.size);
      expect(redriven.replayed + redriven.stale + redriven.duplicates).toBe(letters.length);
      expect(counts.errors).toBe(0);

      const faults = faultTotals(proxies.proxies);
      const [euRun, usRun] = supervisors as [Supervisor, Supervisor];
      printFigures('crash + restart under faults, active-active (done criterion)', {
        seed: `${seed} (replay: FAULT_SEED=${seed})`,
        'app writes': counts,
        'EU stream records': stream.length,
        'records processed':
          euRun.sum('batch processed', 'records') + usRun.sum('batch processed', 'records'),
        'peer writes applied':
          euRun.sum('batch processed', 'applied') + usRun.sum('batch processed', 'applied'),
        'peer writes stale': euRun.sum('batch processed', 'stale') + usRun.sum('batch processed', 'stale'),
        'requests via proxies': `${faults.requests}: ${requestsByOperation(proxies.proxies)}`,
        'faults injected': Object.fromEntries(Object.entries(faults).filter(([kind]) => kind !== 'requests')),
        'faults by operation': faultsByOperation(proxies.proxies),
        'retries (in batch)':
          euRun.sum('batch processed', 'retried') + usRun.sum('batch processed', 'retried'),
        'batches re-read':
          euRun.count('batch unfinished: reading it again from the first unfinished record') +
          usRun.count('batch unfinished: reading it again from the first unfinished record'),
        'stream reads retried':
          euRun.count('stream read failed; retrying') + usRun.count('stream read failed; retrying'),
        SIGKILLs: { [EU]: euRun.kills, [US]: usRun.kills },
        'start-up crashes': supervisors.flatMap((s) =>
          s.unexpectedExits.map((e) => `${s.region}: ${e.reason}`),
        ),
        'bad records (EU stream)': badRecords.length,
        'bad, superseded': superseded.length,
        'dead letters (lines)': letters.length,
        'dead letters (distinct)': distinct.size,
        'duplicate letters': letters.length - distinct.size,
        'keys diverged pre-fix': badKeys.size,
        'drain after workload': `${drainMs} ms`,
        'config fix': `${fix.how} (${fix.ms} ms)`,
        redrive: redriven,
        lost: neither.length + after.differences.length,
      });
      for (const supervisor of supervisors) expect(supervisor.kills).toBeGreaterThanOrEqual(KILLS_PER_REGION);
      expect(faults.throttle).toBeGreaterThan(0);
      expect(faults.drop).toBeGreaterThan(0);
      expect(badKeys.size + distinct.size).toBeGreaterThan(0);
    } finally {
      await killAllRuns();
      for (const client of Object.values(direct)) client.destroy();
      await proxies?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 170_000);

  it('a batch redelivered after a crash between dead-lettering and checkpointing writes the same letter again (same id), and redrive settles both copies at once', async () => {
    // Prepare: the permanent failure of the test above, in-process and without faults.
    const dir = await mkdtemp(join(tmpdir(), 'dynasync-redeliver-'));
    const table = uniqueTableName('redeliver');
    const direct: Record<string, DynamoDBClient> = { [EU]: localClient(0), [US]: localClient(1) };
    try {
      await createReplicatedTable(direct[EU]!, table, { partitionKey: { name: 'pk', type: 'S' } });
      await createTableWithNumericIndex(direct[US]!, table);
      const input: ConfigInput = {
        version: 1,
        name: 'redeliver',
        regions: { [EU]: { table, endpoint: localEndpoint(0) }, [US]: { table, endpoint: localEndpoint(1) } },
        topology: { type: 'active-active' },
        deadLetter: { type: 'file', dir: join(dir, 'dlq') },
        replicator: { checkpointDir: join(dir, 'cp') },
      };
      const config = parseConfig(input);
      const replicator = createReplicator({ config, region: EU, clients: direct, logger: recordingLogger() });
      const now = Date.now();
      const image = stamped({ pk: { S: 'dup' }, category: { S: 'gold' } }, version(now, 0, EU));
      // The application's write in EU (no replicator runs here), and its stream record.
      await direct[EU]!.send(new PutItemCommand({ TableName: table, Item: image as never }));
      const bad = streamRecord({ newImage: image, createdAt: now / 1000, region: EU });

      // Act: the batch, then the same batch again (what a restart from the older checkpoint reads).
      const first = await replicator.process([bad], Date.now() + 10_000);
      const again = await replicator.process([bad], Date.now() + 10_000);

      // Assess: two lines for one record, with the same id (deterministic from record, target and code).
      expect([first.counts.deadLettered, again.counts.deadLettered]).toEqual([1, 1]);
      const sink = new FileDeadLetterSink(deadLetterPath(config, EU));
      const letters = await sink.readAll();
      expect(letters).toHaveLength(2);
      expect(new Set(letters.map((letter) => letter.id)).size).toBe(1);
      expect(new Set(letters.map((letter) => letter.record.dynamodb?.SequenceNumber))).toEqual(
        new Set([bad.dynamodb?.SequenceNumber]),
      );

      // Act 2: the fix (here the config change: us-east-1 moves to a table without the index), then
      // redrive: the letter is applied once, its copy is settled with it; both leave the file.
      const fixed = await moveToTableWithoutIndex(direct[US]!, input, table);
      const report = await redrive({
        config: fixed.config,
        region: EU,
        clients: direct,
        logger: recordingLogger(),
      });
      expect(report.entries.map((entry) => entry.outcome)).toEqual(['replayed']);
      expect(report.duplicates).toBe(1);
      expect(await sink.readAll()).toEqual([]);
      const comparison = await compareRegions(direct, fixed.tables, metadataNames(config));
      expect(comparison.differences).toEqual([]);
      printFigures('redelivery after a crash between dead-lettering and checkpointing', {
        'dead letters (lines)': letters.length,
        'dead letters (distinct)': 1,
        redrive: { replayed: report.replayed, stale: report.stale, failedAgain: report.failedAgain },
      });
    } finally {
      for (const client of Object.values(direct)) client.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  }, 200_000);
});
