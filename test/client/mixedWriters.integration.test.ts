import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynasyncClient } from '../../client/DynasyncClient.js';
import { DynasyncMergeClient } from '../../client/DynasyncMergeClient.js';
import { addDecimals } from '../../conflict/_internals/decimal.js';
import type { MergeSpec } from '../../conflict/merge/types.js';
import { decodeItem, encodeItem } from '../../core/codec.js';
import { parseConfig } from '../../core/config/index.js';
import type { WireItem } from '../../core/types.js';
import { sortItemSets } from '../../protocol/format.js';
import { decodeInput } from '../../protocol/generateVectors.js';
import { createDynamoClients, createStreamsClient } from '../../replicator/clients.js';
import { createReplicator } from '../../replicator/createReplicator.js';
import type { CheckpointStore, Checkpoints } from '../../replicator/poller/CheckpointStore.js';
import { FileCheckpointStore } from '../../replicator/poller/FileCheckpointStore.js';
import { StreamPoller } from '../../replicator/poller/StreamPoller.js';
import { createReplicatedTable } from '../../tools/tables.js';
import { REPO_ROOT } from '../helpers/childRun.js';
import { localEndpoint, readWholeStream, uniqueTableName } from '../helpers/dynamo.js';
import { MemoryDeadLetterSink } from '../helpers/factories.js';
import { recordingLogger } from '../replicator/poller/pollerHarness.js';
import { seededRandom } from '../support/seededRandom.js';

/**
 * A Python writer (clients/python, spawned) in one region and the TypeScript writer in the other write
 * the same keys at the same time while a replicator polls each region's stream: both tables must end
 * exactly equal (metadata included), with nothing dead-lettered. "Done" is counted, not timed: every
 * record of both streams is behind a saved checkpoint, and then the tables are compared.
 */

const EU = 'eu-west-1'; // the Python writer
const US = 'us-east-1'; // the TypeScript writer
const REGIONS = [EU, US] as const;
const OPS_PER_WRITER = 100;
const SEED = 0x5eed_2026;
const SPEC: MergeSpec = { attributes: { views: 'counter', tags: 'set' }, default: 'lww' };

const python = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' });
const pythonMissing = python.status !== 0 ? 'python3 with boto3 is not available' : undefined;
if (pythonMissing !== undefined) console.warn(`mixedWriters: skipped, ${pythonMissing}`);

type Op =
  | { readonly op: 'put' | 'update' | 'delete'; readonly params: Record<string, unknown> }
  | { readonly op: 'put' | 'update' | 'delete'; readonly args: Record<string, unknown> };

interface Workload {
  readonly ops: Op[];
  /** Merge: the increments of the counter-only key, and the elements of the add-only set key. */
  readonly increments: string[];
  readonly elements: string[];
}

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
const DELTAS = ['1', '2.5', '-0.75', '0.001', '12345678901234567890.5'];

const mergeWorkload = (region: string, random: () => number): Workload => {
  const ops: Op[] = [];
  const increments: string[] = [];
  const elements: string[] = [];
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  for (let i = 0; i < OPS_PER_WRITER; i += 1) {
    const r = random();
    const Key = { pk: { S: pick(KEYS) } };
    if (r < 0.1) {
      const delta = pick(DELTAS);
      increments.push(delta);
      ops.push({ op: 'update', args: { Key: { pk: { S: 'counter' } }, add: { views: delta } } });
    } else if (r < 0.2) {
      const element = `${region}-${i}`;
      elements.push(element);
      ops.push({ op: 'update', args: { Key: { pk: { S: 'set' } }, addToSet: { tags: { SS: [element] } } } });
    } else if (r < 0.35) {
      ops.push({
        op: 'put',
        args: {
          Item: {
            ...Key,
            title: { S: `${region}-${i}` },
            views: { N: String(i) },
            tags: { SS: [`t${i % 3}`, region] },
            blob: { B: Buffer.from([i % 256, 0, 255]).toString('base64') },
          },
        },
      });
    } else if (r < 0.5) {
      ops.push({ op: 'delete', args: { Key } });
    } else if (r < 0.6) {
      ops.push({ op: 'update', args: { Key, remove: ['by'], removeFromSet: { tags: { SS: [region] } } } });
    } else {
      ops.push({
        op: 'update',
        args: {
          Key,
          set: { by: { S: region }, n: { N: `${i}.${i}` } },
          add: { views: pick(DELTAS) },
          addToSet: { tags: { SS: [`t${i % 4}`] } },
        },
      });
    }
  }
  return { ops, increments, elements };
};

const lwwWorkload = (region: string, random: () => number): Workload => {
  const ops: Op[] = [];
  for (let i = 0; i < OPS_PER_WRITER; i += 1) {
    const r = random();
    const Key = { pk: { S: KEYS[Math.floor(random() * KEYS.length)]! } };
    if (r < 0.35)
      ops.push({
        op: 'put',
        params: {
          Item: {
            ...Key,
            by: { S: region },
            i: { N: String(i) },
            big: { N: '98765432109876543210987654321098765432' },
          },
        },
      });
    else if (r < 0.55) ops.push({ op: 'delete', params: { Key } });
    else
      ops.push({
        op: 'update',
        params: {
          Key,
          UpdateExpression: 'SET note = :n ADD hits :one',
          ExpressionAttributeValues: { ':n': { S: `${region}-${i}` }, ':one': { N: '1' } },
        },
      });
  }
  return { ops, increments: [], elements: [] };
};

/** A checkpoint store that also keeps what was saved last, to tell when a region has read its whole stream. */
class ObservedCheckpoints implements CheckpointStore {
  public last: Checkpoints = { shards: {} };
  public constructor(private readonly inner: CheckpointStore) {}
  public load(): Promise<Checkpoints> {
    return this.inner.load();
  }
  public async save(checkpoints: Checkpoints): Promise<void> {
    await this.inner.save(checkpoints);
    this.last = checkpoints;
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const world = async (strategy: 'lww' | 'merge') => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-mixed-'));
  const config = parseConfig({
    version: 1,
    name: 'mixed',
    regions: {
      [EU]: { table: uniqueTableName('py'), endpoint: localEndpoint(0) },
      [US]: { table: uniqueTableName('ts'), endpoint: localEndpoint(1) },
    },
    topology: { type: 'active-active' },
    conflict: strategy === 'lww' ? { strategy } : { strategy, ...SPEC },
    replicator: { checkpointDir: join(dir, 'cp'), pollIntervalMs: 50 },
    deadLetter: { type: 'file', dir: join(dir, 'dlq') },
  });
  const clients: Record<string, DynamoDBClient> = createDynamoClients(config);
  await Promise.all(
    REGIONS.map((region) =>
      createReplicatedTable(clients[region]!, config.regions[region]!.table, {
        partitionKey: { name: 'pk', type: 'S' },
      }),
    ),
  );
  const deadLetters = new MemoryDeadLetterSink();
  const streams: DynamoDBStreamsClient[] = [];
  const pollers: StreamPoller[] = [];
  const checkpoints: Record<string, ObservedCheckpoints> = {};
  for (const region of REGIONS) {
    const logger = recordingLogger();
    const streamsClient = createStreamsClient(config, region);
    streams.push(streamsClient);
    checkpoints[region] = new ObservedCheckpoints(FileCheckpointStore.forRegion(config, region));
    const poller = new StreamPoller({
      config,
      region,
      replicator: createReplicator({ config, region, clients, logger, deadLetters }),
      streamsClient,
      dynamoClient: clients[region]!,
      checkpoints: checkpoints[region]!,
      logger,
      statsIntervalMs: 0,
    });
    pollers.push(poller);
    await poller.start();
  }
  cleanups.push(async () => {
    await Promise.all(pollers.map((poller) => poller.stop()));
    for (const client of [...Object.values(clients), ...streams]) client.destroy();
    await rm(dir, { recursive: true, force: true });
  });
  const table = (region: string) => config.regions[region]!.table;
  return {
    clients,
    deadLetters,
    table,
    /** True when every record of the region's stream is behind its last saved checkpoint. */
    caughtUp: async (region: string): Promise<boolean> => {
      const records = await readWholeStream(
        clients[region]!,
        config.regions[region]!.endpoint!,
        table(region),
      );
      const saved = Object.values(checkpoints[region]!.last.shards)
        .map((shard) => BigInt(shard.sequenceNumber ?? '0'))
        // biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigints
        .reduce((a, b) => (a > b ? a : b), 0n);
      return records.every((record) => BigInt(record.dynamodb!.SequenceNumber!) <= saved);
    },
    /** The whole table, `_ds_rep` left out (it says who wrote, not what), set members sorted. */
    scan: async (region: string): Promise<Record<string, WireItem>> => {
      const out: Record<string, WireItem> = {};
      let start: Record<string, unknown> | undefined;
      do {
        const page = await clients[region]!.send(
          new ScanCommand({
            TableName: table(region),
            ConsistentRead: true,
            ExclusiveStartKey: start as never,
          }),
        );
        for (const raw of page.Items ?? []) {
          const { _ds_rep: _rep, ...item } = encodeItem(decodeItem(raw));
          out[(item.pk as { S: string }).S] = sortItemSets(item);
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return out;
    },
  };
};

/** Runs the Python writer on a workload; resolves with what it printed. */
const runPython = (job: object): Promise<{ ops: number; ms: number }> =>
  new Promise((resolve, reject) => {
    const child = spawn('python3', [join(REPO_ROOT, 'test/client/mixedWriters.py')], {
      env: { ...process.env, PYTHONPATH: join(REPO_ROOT, 'clients/python') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(stdout.trim()) as { ops: number; ms: number });
      else reject(new Error(`the Python writer exited with ${code}: ${stderr}`));
    });
    child.stdin.end(JSON.stringify(job));
  });

const runTypeScript = async (
  strategy: 'lww' | 'merge',
  client: DynamoDBClient,
  table: string,
  ops: readonly Op[],
): Promise<number> => {
  if (strategy === 'lww') {
    const ds = new DynasyncClient({ client, region: US });
    for (const op of ops) {
      const input = { TableName: table, ...decodeInput((op as { params: Record<string, unknown> }).params) };
      if (op.op === 'put') await ds.put(input as never);
      else if (op.op === 'update') await ds.update(input as never);
      else await ds.delete(input as never);
    }
  } else {
    const ds = new DynasyncMergeClient({ client, region: US, spec: SPEC });
    for (const op of ops) {
      const input = { TableName: table, ...decodeInput((op as { args: Record<string, unknown> }).args) };
      if (op.op === 'put') await ds.put(input as never, ['pk']);
      else if (op.op === 'update') await ds.update(input as never);
      else await ds.delete(input as never);
    }
  }
  return ops.length;
};

describe.skipIf(pythonMissing !== undefined)('a Python writer and a TypeScript writer, active-active', () => {
  it.each(['merge', 'lww'] as const)(
    'converge exactly under %s, with nothing dead-lettered',
    async (strategy) => {
      // Prepare
      const w = await world(strategy);
      const make = strategy === 'merge' ? mergeWorkload : lwwWorkload;
      const random = seededRandom(SEED);
      const py = make(EU, random);
      const ts = make(US, random);
      const started = performance.now();

      // Act: both writers at once, while both pollers replicate.
      const [pyResult, tsOps] = await Promise.all([
        runPython({
          endpoint: localEndpoint(0),
          table: w.table(EU),
          region: EU,
          strategy,
          spec: SPEC,
          ops: py.ops,
        }),
        runTypeScript(strategy, w.clients[US]!, w.table(US), ts.ops),
      ]);
      let tables: Array<Record<string, WireItem>> = [];
      await vi.waitFor(
        async () => {
          expect(await w.caughtUp(EU)).toBe(true);
          expect(await w.caughtUp(US)).toBe(true);
          tables = await Promise.all(REGIONS.map((region) => w.scan(region)));
          expect(tables[1]).toEqual(tables[0]);
        },
        { timeout: 120_000, interval: 200 },
      );
      const elapsedMs = Math.round(performance.now() - started);

      // Assess
      console.log(
        `mixedWriters ${strategy}: seed ${SEED}, ${pyResult.ops} Python ops (${pyResult.ms} ms) + ${tsOps} TypeScript ops, ` +
          `${Object.keys(tables[0]!).length} items converged in ${elapsedMs} ms, ${w.deadLetters.entries.length} dead letters`,
      );
      expect(pyResult.ops).toBe(OPS_PER_WRITER);
      expect(tsOps).toBe(OPS_PER_WRITER);
      expect(w.deadLetters.entries).toEqual([]);
      const [eu] = tables;
      expect(Object.keys(eu!).length).toBeGreaterThan(0);
      if (strategy === 'merge') {
        const increments = [...py.increments, ...ts.increments];
        const elements = [...py.elements, ...ts.elements];
        expect(increments.length).toBeGreaterThan(0);
        expect(eu!.counter?.views).toEqual({ N: addDecimals(increments) });
        expect(eu!.set?.tags).toEqual({ SS: [...elements].sort() });
        // Each writer's stamps count its own events in the vector clock: the clocks saw both writers.
        expect(eu!.counter?._ds_vc).toEqual({
          S: `${EU}:${py.increments.length},${US}:${ts.increments.length}`,
        });
      }
    },
    240_000,
  );
});
