import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HybridLogicalClock } from '../../../conflict/HybridLogicalClock.js';
import { readMergeMetadata } from '../../../conflict/merge/itemState.js';
import { type MergeWrite, stampMergeWrite } from '../../../conflict/merge/stampMergeWrite.js';
import { type MergeSpec, mergeNamesFor } from '../../../conflict/merge/types.js';
import { decodeVersion, encodeVersion } from '../../../conflict/version.js';
import type { Item } from '../../../core/types.js';
import { MergePeerWriter } from '../../../replicator/merge/MergePeerWriter.js';
import { type ProcessBatchDeps, processBatch } from '../../../replicator/processBatch.js';
import { fullSpec, mergeWriteArbitrary } from '../../../tools/checkMerge/histories.js';
import { FakeTable, MemoryDeadLetterSink, planContext, silentLogger } from '../../helpers/factories.js';
import { assertConverges, checkAsyncProperty } from '../../helpers/laws.js';

/**
 * Model-based test of the merge strategy with the real replicator (planBatch → processBatch →
 * MergePeerWriter) over three in-memory regions. Commands: write in a region (through the merge
 * client's stamping), deliver the next batch of a region's stream, deliver an old batch again
 * (duplicate / redelivery), or let time pass (delay). After draining every stream, every replica must
 * hold the same item for every key, its clock must count every write once, and nothing is dead-lettered.
 */

const REGIONS = ['a1', 'b1', 'c1'] as const;
const KEYS = ['k1', 'k2'] as const;
const names = mergeNamesFor('_ds_');

class World {
  public timeMs = 1_700_000_000_000;
  public readonly tables = REGIONS.map((region) => new FakeTable({ region, now: () => this.timeMs }));
  public readonly clocks = REGIONS.map((region) => new HybridLogicalClock(region, () => this.timeMs));
  public readonly cursors = REGIONS.map(() => 0);
  public readonly deadLetters = new MemoryDeadLetterSink();
  public readonly writes = new Map<string, number>();
  private readonly deps: ProcessBatchDeps[];

  public constructor(private readonly spec: MergeSpec) {
    this.deps = REGIONS.map((region, index) => {
      const peers = this.tables.filter((_, i) => i !== index);
      return {
        context: planContext({
          region,
          peers: peers.map((peer) => peer.region),
          names,
          clockAttribute: names.clock,
        }),
        writer: new MergePeerWriter({
          peers: Object.fromEntries(peers.map((peer) => [peer.region, peer.target])),
          names,
          spec,
          sourceRegion: region,
          sleep: async () => undefined,
        }),
        deadLetters: this.deadLetters,
        logger: silentLogger,
        configVersion: 'model',
      };
    });
  }

  public write(region: number, key: string, write: MergeWrite): void {
    this.timeMs += 1;
    const table = this.tables[region]!;
    const keys: Item = { pk: { S: key } };
    const stored = table.get(keys);
    const storedVersion = stored?.[names.version];
    if (storedVersion !== undefined && 'S' in storedVersion)
      this.clocks[region]!.receive(decodeVersion(storedVersion.S));
    const version = this.clocks[region]!.now();
    const { [names.replicated]: _rep, ...rest } = stampMergeWrite(stored, keys, write, {
      region: REGIONS[region]!,
      version: encodeVersion(version),
      expiresAt: '1700604800',
      spec: this.spec,
      names,
    });
    table.write(rest);
    this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
  }

  /** Delivers `size` records of a region's stream from `from` (the cursor when undefined); returns where Lambda would resume. */
  public async deliver(region: number, size: number, from?: number): Promise<void> {
    const table = this.tables[region]!;
    const start = from ?? this.cursors[region]!;
    const batch = table.stream.slice(start, start + size);
    if (batch.length === 0) return;
    const result = await processBatch(batch, Date.now() + 60_000, this.deps[region]!);
    if (from !== undefined) return;
    const failed = result.batchItemFailures[0]?.itemIdentifier;
    const resumeAt =
      failed === undefined ? batch.length : batch.findIndex((r) => r.dynamodb?.SequenceNumber === failed);
    this.cursors[region] = start + Math.max(resumeAt, 0);
  }

  public async drain(): Promise<void> {
    for (let round = 0; round < 30; round += 1) {
      if (this.tables.every((table, i) => this.cursors[i] === table.stream.length)) return;
      for (let i = 0; i < REGIONS.length; i += 1) await this.deliver(i, 7);
    }
    expect.fail('streams kept growing: replication ping-pongs');
  }
}

type Command = (world: World) => Promise<void> | void;

const commands = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.tuple(fc.nat(2), fc.constantFrom(...KEYS), mergeWriteArbitrary()).map(
        ([region, key, write]): Command =>
          (world) =>
            world.write(region, key, write),
      ),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(fc.nat(2), fc.integer({ min: 1, max: 4 })).map(
        ([region, size]): Command =>
          (world) =>
            world.deliver(region, size),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.nat(2), fc.nat(50), fc.integer({ min: 1, max: 4 })).map(
        ([region, at, size]): Command =>
          (world) =>
            world.deliver(region, size, at % Math.max(1, world.cursors[region]! + 1)),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constant<Command>((world) => {
        world.timeMs += 1_000;
      }),
    },
  ),
  { maxLength: 30 },
);

describe('merge strategy, real replicator, three regions (model-based)', () => {
  for (const [label, spec] of [
    ['per-attribute LWW + counter + set', fullSpec('lww')],
    ['whole-item LWW + counter + set', fullSpec('item')],
  ] as const) {
    it(`law: after write / deliver / duplicate / delay, every replica converges and every write counts once (${label})`, async () => {
      await checkAsyncProperty(
        fc.asyncProperty(commands, async (script) => {
          const world = new World(spec);
          for (const command of script) await command(world);
          await world.drain();
          expect(world.deadLetters.entries).toEqual([]);
          for (const key of KEYS) {
            const views = REGIONS.map((_, i) => {
              const item = world.tables[i]!.get({ pk: { S: key } });
              if (item === undefined) return undefined;
              const { [names.replicated]: _rep, ...rest } = item;
              return rest;
            });
            assertConverges(Object.fromEntries(REGIONS.map((region, i) => [region, views[i]])), views[0]);
            if (views[0] !== undefined) {
              const clock = readMergeMetadata(views[0], names).clock;
              const counted = Object.values(clock).reduce((total, n) => total + Number(n), 0);
              expect(counted, `${key}: the clock counts every write once`).toBe(world.writes.get(key) ?? 0);
            }
          }
        }),
        60,
      );
    });
  }
});
