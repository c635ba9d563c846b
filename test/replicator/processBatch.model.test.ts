import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HybridLogicalClock } from '../../conflict/HybridLogicalClock.js';
import { compareVersions, decodeVersion, encodeVersion, type Version } from '../../conflict/version.js';
import type { Item, WireItem } from '../../core/types.js';
import { type ProcessBatchDeps, processBatch } from '../../replicator/processBatch.js';
import type { BatchResult, StreamRecord } from '../../replicator/types.js';
import {
  type FakeFailure,
  FakeTable,
  fakeWriter,
  MemoryDeadLetterSink,
  names,
  planContext,
  silentLogger,
} from '../helpers/factories.js';
import { assertConverges, checkAsyncProperty, expectDeepEqual } from '../helpers/laws.js';

/**
 * Model-based tests of replication, with the real planBatch / processBatch / PeerWriter running
 * against in-memory tables (FakeTable) and sleeping stubbed out:
 *
 * - active-active: applications write in several regions through the client helper (HLC stamps);
 *   each region's stream, echoes included, is delivered to its peers in random batches (duplicated,
 *   reordered, redelivered, cut short by a missed deadline) while peers throttle; at the end every
 *   replica must hold the newest version of each key.
 * - one-way: the source takes stamped and raw writes; replicas must end showing what the source shows.
 * - coalescing: a batch delivered at once leaves peers as delivering its records one by one does.
 */

const REGION_NAMES = ['a1', 'b1', 'c1'] as const;
const KEYS = ['k1', 'k2', 'k3'] as const;
const START_MS = 1_700_000_000_000;
const RETENTION_SECONDS = 604_800;
const far = (): number => Date.now() + 60_000;

interface Region {
  readonly name: string;
  readonly table: FakeTable;
  readonly clock: HybridLogicalClock;
  skewMs: number;
}

/** The real system: one table, stream and clock per region, and a replicator per region. */
class World {
  public timeMs = START_MS;
  public readonly regions: Region[];
  public readonly deadLetters = new MemoryDeadLetterSink();
  private readonly deps = new Map<string, ProcessBatchDeps>();

  /**
   * @param options.streamSeconds stream times in whole seconds, as Lambda delivers
   *   `ApproximateCreationDateTime` (else milliseconds, as `dynasync run` does).
   */
  public constructor(
    regionCount: number,
    topology: 'active-active' | 'one-way' = 'active-active',
    options: { readonly streamSeconds?: boolean } = {},
  ) {
    // DynamoDB stamps stream records with its own (true) time; the client helper's clock may be skewed.
    const streamTime = (): number =>
      options.streamSeconds === true ? Math.floor(this.timeMs / 1000) * 1000 : this.timeMs;
    this.regions = REGION_NAMES.slice(0, regionCount).map((name) => {
      const region: Region = {
        name,
        table: new FakeTable({ region: name, now: streamTime }),
        clock: new HybridLogicalClock(name, () => this.timeMs + region.skewMs),
        skewMs: 0,
      };
      return region;
    });
    for (const region of this.regions) {
      const peers =
        topology === 'one-way' && region !== this.regions[0] ? [] : this.regions.filter((r) => r !== region);
      this.deps.set(region.name, {
        context: planContext({
          region: region.name,
          topology,
          peers: peers.map((p) => p.name),
          tombstoneRetentionSeconds: RETENTION_SECONDS,
        }),
        writer: fakeWriter(
          peers.map((p) => p.table),
          { random: Math.random },
        ),
        deadLetters: this.deadLetters,
        logger: silentLogger,
        configVersion: 'model',
      });
    }
  }

  public region(index: number): Region {
    return this.regions[index % this.regions.length]!;
  }

  /** A write through the client helper: stamped strictly newer than what the region holds. */
  public stampedWrite(region: Region, key: string, value: string | undefined): Version {
    const stored = region.table.get({ pk: { S: key } })?.[names.version];
    if (stored !== undefined && 'S' in stored) region.clock.receive(decodeVersion(stored.S));
    const version = region.clock.now();
    const metadata: WireItem = { [names.version]: { S: encodeVersion(version) } };
    region.table.write(
      value === undefined
        ? {
            pk: { S: key },
            ...metadata,
            [names.deleted]: { BOOL: true },
            [names.expires]: { N: String(Math.floor(version.physicalMs / 1000) + RETENTION_SECONDS) },
          }
        : { pk: { S: key }, value: { S: value }, ...metadata },
    );
    return version;
  }

  public deliver(region: Region, records: readonly StreamRecord[], deadlineMs: number): Promise<BatchResult> {
    return processBatch(records, deadlineMs, this.deps.get(region.name)!);
  }

  /**
   * Delivers every stream from the start, in order, in batches, resuming where Lambda would
   * (at the reported failure), until no region's stream grows any more.
   */
  public async drain(batchSize = 5): Promise<void> {
    const cursors = new Map(this.regions.map((region) => [region.name, 0]));
    for (let round = 0; round < 20; round += 1) {
      let progressed = false;
      for (const region of this.regions) {
        let cursor = cursors.get(region.name)!;
        for (let guard = 0; cursor < region.table.stream.length; guard += 1) {
          if (guard > 10_000) expect.fail(`drain of ${region.name} makes no progress at ${cursor}`);
          const batch = region.table.stream.slice(cursor, cursor + batchSize);
          const result = await this.deliver(region, batch, far());
          const failed = result.batchItemFailures[0]?.itemIdentifier;
          const resumeAt =
            failed === undefined
              ? batch.length
              : batch.findIndex((r) => r.dynamodb?.SequenceNumber === failed);
          cursor += Math.max(resumeAt, 0);
          progressed = true;
        }
        cursors.set(region.name, cursor);
      }
      if (!progressed) return;
    }
    expect.fail('streams kept growing: replication ping-pongs');
  }
}

/** What the application wrote last, per key: the newest version and its value (undefined: deleted). */
interface Model {
  readonly newest: Map<string, { version: Version; value: string | undefined }>;
}

/** What a replica shows of a key: version, deleted flag and value; metadata flags aside. */
const view = (item: Item | undefined) => {
  if (item === undefined) return undefined;
  const versionValue = item[names.version];
  const deleted = item[names.deleted];
  const value = item.value;
  return {
    version: versionValue !== undefined && 'S' in versionValue ? versionValue.S : undefined,
    deleted: deleted !== undefined && 'BOOL' in deleted && deleted.BOOL,
    value: value !== undefined && 'S' in value ? value.S : undefined,
  };
};

const expectedView = (entry: { version: Version; value: string | undefined } | undefined) =>
  entry === undefined
    ? undefined
    : { version: encodeVersion(entry.version), deleted: entry.value === undefined, value: entry.value };

/** Checks that no replica holds a version newer than the newest one written (nothing is invented). */
const assertNothingInvented = (model: Model, world: World): void => {
  for (const region of world.regions) {
    for (const key of KEYS) {
      const seen = view(region.table.get({ pk: { S: key } }));
      const newest = model.newest.get(key);
      if (seen === undefined) continue;
      expect(newest, `${region.name} holds ${key} that nobody wrote`).toBeDefined();
      expect(
        seen.version! <= encodeVersion(newest!.version),
        `${region.name} holds a version of ${key} newer than any written`,
      ).toBe(true);
    }
  }
};

class WriteCommand implements fc.AsyncCommand<Model, World> {
  public constructor(
    private readonly regionIndex: number,
    private readonly key: string,
    private readonly value: string | undefined,
  ) {}
  public check = (): boolean => true;
  public async run(model: Model, world: World): Promise<void> {
    const version = world.stampedWrite(world.region(this.regionIndex), this.key, this.value);
    const newest = model.newest.get(this.key);
    if (newest === undefined || compareVersions(version, newest.version) > 0)
      model.newest.set(this.key, { version, value: this.value });
  }
  public toString = (): string =>
    `${this.value === undefined ? 'delete' : `write(${this.value})`} ${this.key} in #${this.regionIndex}`;
}

class TickCommand implements fc.AsyncCommand<Model, World> {
  public constructor(private readonly ms: number) {}
  public check = (): boolean => true;
  public async run(_model: Model, world: World): Promise<void> {
    world.timeMs += this.ms;
  }
  public toString = (): string => `tick ${this.ms}ms`;
}

class SkewCommand implements fc.AsyncCommand<Model, World> {
  public constructor(
    private readonly regionIndex: number,
    private readonly ms: number,
  ) {}
  public check = (): boolean => true;
  public async run(_model: Model, world: World): Promise<void> {
    world.region(this.regionIndex).skewMs += this.ms;
  }
  public toString = (): string => `skew #${this.regionIndex} by ${this.ms}ms`;
}

class FlakyPeerCommand implements fc.AsyncCommand<Model, World> {
  public constructor(
    private readonly regionIndex: number,
    private readonly kind: FakeFailure,
    private readonly times: number,
  ) {}
  public check = (): boolean => true;
  public async run(_model: Model, world: World): Promise<void> {
    world.region(this.regionIndex).table.fail(this.kind, { times: this.times });
  }
  public toString = (): string => `#${this.regionIndex} fails ${this.times}× with ${this.kind}`;
}

/** Delivers a slice of a region's stream: possibly duplicated, reordered, or cut short by a missed deadline. */
class DeliverCommand implements fc.AsyncCommand<Model, World> {
  public constructor(
    private readonly regionIndex: number,
    private readonly startFraction: number,
    private readonly length: number,
    private readonly sortKeys: readonly number[] | undefined,
    private readonly duplicates: number,
    private readonly missDeadline: boolean,
  ) {}
  public check = (): boolean => true;
  public async run(model: Model, world: World): Promise<void> {
    const region = world.region(this.regionIndex);
    const stream = region.table.stream;
    if (stream.length === 0) return;
    const start = Math.floor(this.startFraction * stream.length);
    let batch = stream.slice(start, start + this.length);
    batch = [...batch, ...batch.slice(0, this.duplicates)];
    if (this.sortKeys !== undefined) {
      const keys = this.sortKeys;
      batch = batch
        .map((record, i) => ({ record, sortKey: keys[i % keys.length]! + i / 1000 }))
        .sort((a, b) => a.sortKey - b.sortKey)
        .map(({ record }) => record);
    }
    const result = await world.deliver(region, batch, this.missDeadline ? Date.now() - 1 : far());
    if (!this.missDeadline)
      expect(result.batchItemFailures, 'with time to spare every write finishes').toStrictEqual([]);
    expect(world.deadLetters.entries, 'stamped writes are never dead-lettered').toStrictEqual([]);
    assertNothingInvented(model, world);
  }
  public toString = (): string =>
    `deliver #${this.regionIndex} from ${this.startFraction.toFixed(2)} ×${this.length}` +
    `${this.sortKeys === undefined ? '' : ' reordered'}${this.duplicates > 0 ? ` +${this.duplicates} dup` : ''}` +
    `${this.missDeadline ? ' (deadline missed)' : ''}`;
}

const regionIndex = fc.nat(2);
const key = fc.constantFrom(...KEYS);

const commands = fc.commands<Model, World, false>(
  [
    fc.tuple(regionIndex, key, fc.constantFrom('x', 'y', 'z')).map(([r, k, v]) => new WriteCommand(r, k, v)),
    fc.tuple(regionIndex, key).map(([r, k]) => new WriteCommand(r, k, undefined)),
    fc.integer({ min: 0, max: 3 }).map((ms) => new TickCommand(ms)),
    fc.tuple(regionIndex, fc.integer({ min: -50, max: 50 })).map(([r, ms]) => new SkewCommand(r, ms)),
    fc
      .tuple(
        regionIndex,
        fc.constantFrom<FakeFailure>('throttling', 'provisioned', 'internal', 'network'),
        fc.integer({ min: 1, max: 3 }),
      )
      .map(([r, kind, times]) => new FlakyPeerCommand(r, kind, times)),
    fc
      .record({
        r: regionIndex,
        start: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        length: fc.integer({ min: 1, max: 8 }),
        sortKeys: fc.option(fc.array(fc.nat(20), { minLength: 1, maxLength: 8 }), { nil: undefined }),
        duplicates: fc.integer({ min: 0, max: 3 }),
        missDeadline: fc.boolean(),
      })
      .map(
        ({ r, start, length, sortKeys, duplicates, missDeadline }) =>
          new DeliverCommand(r, start, length, sortKeys, duplicates, missDeadline),
      ),
  ],
  { maxCommands: 60, size: 'large' },
);

describe('replication (model-based)', () => {
  it('law (convergence): with any interleaving of writes and deliveries (duplicated, reordered, redelivered, throttled), every replica ends at the newest version of each key', async () => {
    await checkAsyncProperty(
      fc.asyncProperty(fc.constantFrom(2, 3), commands, async (regionCount, cmds) => {
        // Prepare
        const world = new World(regionCount);
        const model: Model = { newest: new Map() };

        // Act
        await fc.asyncModelRun(() => ({ model, real: world }), cmds);
        await world.drain();

        // Assess
        for (const k of KEYS) {
          const replicas = Object.fromEntries(
            world.regions.map((region) => [region.name, view(region.table.get({ pk: { S: k } }))]),
          );
          assertConverges(replicas, expectedView(model.newest.get(k)));
        }
        expect(world.deadLetters.entries).toStrictEqual([]);
      }),
      200,
    );
  });
});

type SourceOp =
  | { readonly type: 'put'; readonly key: string; readonly value: string; readonly tickMs: number }
  | { readonly type: 'delete'; readonly key: string; readonly tickMs: number }
  | { readonly type: 'rawUpdate'; readonly key: string; readonly value: string; readonly tickMs: number }
  | { readonly type: 'rawPut'; readonly key: string; readonly value: string; readonly tickMs: number }
  | { readonly type: 'rawDelete'; readonly key: string; readonly tickMs: number }
  | { readonly type: 'skew'; readonly ms: number };

const tickMs = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1500 }));
const value = fc.constantFrom('x', 'y', 'z');

/** Application writes in a source region: stamped (client helper) or raw, and skews of the client clock. */
const sourceOp: fc.Arbitrary<SourceOp> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key, value, tickMs }),
  fc.record({ type: fc.constant('delete' as const), key, tickMs }),
  fc.record({ type: fc.constant('skew' as const), ms: fc.integer({ min: -3000, max: 3000 }) }),
  fc.record({ type: fc.constant('rawUpdate' as const), key, value, tickMs }),
  fc.record({ type: fc.constant('rawPut' as const), key, value, tickMs }),
  fc.record({ type: fc.constant('rawDelete' as const), key, tickMs }),
);

/** Applies application writes in the first region of `world` and returns its stream. */
const writeSource = (world: World, ops: readonly SourceOp[]): StreamRecord[] => {
  const source = world.regions[0]!;
  for (const op of ops) {
    if (op.type === 'skew') {
      source.skewMs += op.ms;
      continue;
    }
    world.timeMs += op.tickMs;
    const keys = { pk: { S: op.key } };
    if (op.type === 'put') world.stampedWrite(source, op.key, op.value);
    else if (op.type === 'delete') world.stampedWrite(source, op.key, undefined);
    else if (op.type === 'rawPut') source.table.write({ ...keys, value: { S: op.value } });
    else if (op.type === 'rawUpdate')
      source.table.write({ ...(source.table.get(keys) ?? keys), value: { S: op.value } });
    else source.table.remove(keys);
  }
  return [...source.table.stream];
};

/** What an application reads: nothing for a missing item or a delete marker, else the item without metadata. */
const visible = (item: Item | undefined): Item | undefined => {
  if (item === undefined || view(item)?.deleted === true) return undefined;
  const metadata = new Set<string>(Object.values(names));
  return Object.fromEntries(Object.entries(item).filter(([name]) => !metadata.has(name)));
};

describe('one-way replication (model-based)', () => {
  const replicaViews = (world: World, k: string) =>
    Object.fromEntries(
      world.regions.map((region) => [region.name, visible(region.table.get({ pk: { S: k } }))]),
    );

  it('ships a stamped delete made in the same millisecond as an earlier raw update', async () => {
    // Prepare: raw UpdateItem, then a client-helper delete, same millisecond.
    const world = new World(2, 'one-way');
    writeSource(world, [
      { type: 'rawUpdate', key: 'k1', value: 'x', tickMs: 0 },
      { type: 'delete', key: 'k1', tickMs: 0 },
    ]);

    // Act
    await world.drain();

    // Assess
    assertConverges(replicaViews(world, 'k1'), undefined);
  });

  it('ships a raw PutItem that follows a raw PutItem over an item stamped by a client clock running ahead', async () => {
    // Prepare: the client helper's clock is 2 s ahead of DynamoDB's.
    const world = new World(2, 'one-way');
    writeSource(world, [
      { type: 'skew', ms: 2_000 },
      { type: 'put', key: 'k1', value: 'x', tickMs: 0 },
      { type: 'rawPut', key: 'k1', value: 'y', tickMs: 100 },
      { type: 'rawPut', key: 'k1', value: 'z', tickMs: 100 },
    ]);

    // Act
    await world.drain();

    // Assess
    assertConverges(replicaViews(world, 'k1'), { pk: { S: 'k1' }, value: { S: 'z' } });
  });

  it('law (convergence): replicas end showing what the source shows, for any mix of stamped and raw writes', async () => {
    await checkAsyncProperty(
      fc.asyncProperty(
        fc.array(sourceOp, { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        async (ops, streamSeconds) => {
          // Prepare
          const world = new World(3, 'one-way', { streamSeconds });

          // Act
          writeSource(world, ops);
          await world.drain();

          // Assess
          for (const k of KEYS) {
            const replicas = Object.fromEntries(
              world.regions.map((region) => [region.name, visible(region.table.get({ pk: { S: k } }))]),
            );
            assertConverges(replicas, visible(world.regions[0]!.table.get({ pk: { S: k } })));
          }
          expect(world.deadLetters.entries).toStrictEqual([]);
        },
      ),
      200,
    );
  });
});

describe('coalescing (model-based)', () => {
  it('law: delivering a batch at once (coalesced) leaves every peer as delivering its records one by one does', async () => {
    await checkAsyncProperty(
      fc.asyncProperty(
        fc.constantFrom('active-active' as const, 'one-way' as const),
        fc.array(sourceOp, { minLength: 1, maxLength: 25 }),
        fc.option(fc.array(fc.nat(30), { minLength: 1, maxLength: 25 }), { nil: undefined }),
        fc.array(fc.nat(24), { maxLength: 5 }),
        async (topology, ops, sortKeys, duplicateAt) => {
          // Prepare: the same source stream for two fresh sets of peers.
          const atOnce = new World(3, topology);
          const oneByOne = new World(3, topology);
          let records = writeSource(atOnce, ops);
          const originals = records;
          if (originals.length > 0)
            records = [...records, ...duplicateAt.map((i) => originals[i % originals.length]!)];
          if (sortKeys !== undefined) {
            records = records
              .map((record, i) => ({ record, sortKey: sortKeys[i % sortKeys.length]! + i / 1000 }))
              .sort((a, b) => a.sortKey - b.sortKey)
              .map(({ record }) => record);
          }

          // Act
          const batched = await atOnce.deliver(atOnce.regions[0]!, records, far());
          for (const record of records) await oneByOne.deliver(oneByOne.regions[0]!, [record], far());

          // Assess
          expect(batched.batchItemFailures).toStrictEqual([]);
          for (const i of [1, 2])
            expectDeepEqual(atOnce.regions[i]!.table.snapshot(), oneByOne.regions[i]!.table.snapshot());
          const letters = (world: World) =>
            new Set(world.deadLetters.entries.map((letter) => letter.record.dynamodb?.SequenceNumber));
          expectDeepEqual(letters(atOnce), letters(oneByOne));
        },
      ),
      150,
    );
  });
});
