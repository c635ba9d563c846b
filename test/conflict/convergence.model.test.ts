import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveLww } from '../../conflict/lww.js';
import { readMergeMetadata } from '../../conflict/merge/itemState.js';
import { type MergeWrite, stampMergeWrite } from '../../conflict/merge/stampMergeWrite.js';
import type { MergeSpec } from '../../conflict/merge/types.js';
import { compareVersions, encodeVersion, type Version } from '../../conflict/version.js';
import type { Item } from '../../core/types.js';
import {
  deliverState,
  fullSpec,
  HISTORY_KEYS,
  HISTORY_REGIONS,
  mergeWriteArbitrary,
  historyNames as names,
} from '../../tools/checkMerge/histories.js';
import { assertConverges, checkProperty } from '../helpers/laws.js';

/**
 * Model-based convergence over three regions. Each region's application writes go out as messages
 * (the item state after the write, as the stream ships it) to the two other regions; commands write
 * in a region, deliver the oldest message of a channel, deliver a *later* one first (reorder),
 * deliver one again (duplicate) or let time pass with messages in flight (delay). At the end every
 * channel is drained, and every replica must hold the same item.
 */

interface Message<S> {
  readonly to: number;
  readonly state: S;
}

/** The system under test for one strategy: how a region writes, and how a delivery lands. */
interface Strategy<S> {
  write(stored: S | undefined, region: number, write: MergeWrite, tick: number): S;
  deliver(stored: S | undefined, incoming: S): S;
}

class World<S> {
  public readonly replicas: Array<S | undefined> = HISTORY_REGIONS.map(() => undefined);
  public readonly pending: Message<S>[] = [];
  public readonly delivered: Message<S>[] = [];
  public tick = 0;
  public constructor(public readonly strategy: Strategy<S>) {}
  public write(region: number, write: MergeWrite): S {
    this.tick += 1;
    const state = this.strategy.write(this.replicas[region], region, write, this.tick);
    this.replicas[region] = state;
    for (let to = 0; to < HISTORY_REGIONS.length; to += 1)
      if (to !== region) this.pending.push({ to, state });
    return state;
  }
  public deliver(index: number): void {
    const [message] = this.pending.splice(index, 1);
    if (message === undefined) return;
    this.replicas[message.to] = this.strategy.deliver(this.replicas[message.to], message.state);
    this.delivered.push(message);
  }
  public redeliver(index: number): void {
    const message = this.delivered[index];
    if (message !== undefined)
      this.replicas[message.to] = this.strategy.deliver(this.replicas[message.to], message.state);
  }
  public drain(): void {
    while (this.pending.length > 0) this.deliver(0);
  }
}

type Command<S> = (world: World<S>, model: Model) => void;
interface Model {
  newest: { version: Version; write: MergeWrite } | undefined;
  increments: bigint;
}

const commands = <S>(write: (world: World<S>, model: Model, region: number, w: MergeWrite) => void) =>
  fc.array(
    fc.oneof(
      fc.tuple(fc.nat(2), mergeWriteArbitrary()).map(
        ([region, w]): Command<S> =>
          (world, model) =>
            write(world, model, region, w),
      ),
      fc.nat(20).map(
        (i): Command<S> =>
          (world) =>
            world.deliver(world.pending.length === 0 ? 0 : i % world.pending.length),
      ),
      fc.constant<Command<S>>((world) => world.deliver(0)),
      fc.nat(20).map(
        (i): Command<S> =>
          (world) =>
            world.redeliver(world.delivered.length === 0 ? 0 : i % world.delivered.length),
      ),
      fc.constant<Command<S>>(() => undefined),
    ),
    { maxLength: 40 },
  );

const versionAt = (region: number, tick: number): Version => ({
  physicalMs: 1_700_000_000_000 + tick,
  logical: 0,
  origin: HISTORY_REGIONS[region]!,
});

const mergeStrategy = (spec: MergeSpec): Strategy<Item> => ({
  write: (stored, region, w, tick) =>
    stampMergeWrite(stored, HISTORY_KEYS, w, {
      region: HISTORY_REGIONS[region]!,
      version: encodeVersion(versionAt(region, tick)),
      expiresAt: '1700604800',
      spec,
      names,
    }),
  deliver: (stored, incoming) => deliverState(stored, incoming, spec),
});

/** LWW as the replicator does it: the whole write, kept when its version is strictly newer. */
interface LwwState {
  readonly version: Version;
  readonly write: MergeWrite;
}
const lwwStrategy: Strategy<LwwState> = {
  write: (_stored, region, write, tick) => ({ version: versionAt(region, tick), write }),
  deliver: (stored, incoming) =>
    resolveLww(incoming.version, stored?.version) === 'apply' ? incoming : stored!,
};

describe('convergence (model-based, three regions, deliver / reorder / duplicate / delay)', () => {
  for (const [label, spec] of [
    ['per-attribute LWW + counter + set', fullSpec('lww')],
    ['whole-item LWW + counter + set', fullSpec('item')],
  ] as const) {
    it(`law: every replica converges to the same item under the merge strategy (${label})`, () => {
      checkProperty(
        fc.property(
          commands<Item>((world, _model, region, w) => {
            world.write(region, w);
          }),
          (script) => {
            const world = new World(mergeStrategy(spec));
            const model: Model = { newest: undefined, increments: 0n };
            for (const command of script) command(world, model);
            world.drain();
            const [first] = world.replicas;
            assertConverges(
              Object.fromEntries(world.replicas.map((r, i) => [HISTORY_REGIONS[i]!, r])),
              first,
            );
            if (first !== undefined) {
              const clock = readMergeMetadata(first, names).clock;
              const writes = Object.values(clock).reduce((total, n) => total + BigInt(n), 0n);
              expect(writes, 'the converged clock counts every write once').toBe(BigInt(world.tick));
            }
          },
        ),
        150,
      );
    });
  }

  it('law: with increments only, every replica ends with the exact sum of all increments (no loss, no double count)', () => {
    checkProperty(
      fc.property(
        fc.array(
          fc.tuple(fc.nat(2), fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.nat(30), fc.nat(30)),
          {
            maxLength: 30,
          },
        ),
        (script) => {
          const world = new World(mergeStrategy(fullSpec()));
          let sum = 0n;
          for (const [region, delta, reorder, duplicate] of script) {
            world.write(region, { type: 'update', add: { n: String(delta) } });
            sum += delta;
            if (reorder % 3 === 0 && world.pending.length > 0) world.deliver(reorder % world.pending.length);
            if (duplicate % 4 === 0 && world.delivered.length > 0)
              world.redeliver(duplicate % world.delivered.length);
          }
          world.drain();
          for (const replica of world.replicas)
            if (replica !== undefined) expect(replica.n).toEqual({ N: String(sum) });
        },
      ),
    );
  });

  it('law: under LWW every replica converges to the reference model (the newest write wins)', () => {
    checkProperty(
      fc.property(
        commands<LwwState>((world, model, region, w) => {
          const state = world.write(region, w);
          if (model.newest === undefined || compareVersions(state.version, model.newest.version) > 0)
            model.newest = { version: state.version, write: w };
        }),
        (script) => {
          const world = new World(lwwStrategy);
          const model: Model = { newest: undefined, increments: 0n };
          for (const command of script) command(world, model);
          world.drain();
          assertConverges(
            Object.fromEntries(world.replicas.map((r, i) => [HISTORY_REGIONS[i]!, r])),
            model.newest === undefined
              ? undefined
              : { version: model.newest.version, write: model.newest.write },
          );
        },
      ),
      150,
    );
  });
});
