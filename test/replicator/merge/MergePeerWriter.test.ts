import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { type MergeWrite, stampMergeWrite } from '../../../conflict/merge/stampMergeWrite.js';
import { mergeNamesFor } from '../../../conflict/merge/types.js';
import { encodeVersion } from '../../../conflict/version.js';
import { decodeItem, encodeItem } from '../../../core/codec.js';
import { ErrorCodes } from '../../../core/errors.js';
import type { Item } from '../../../core/types.js';
import type { ConflictAuditEntry } from '../../../replicator/merge/conflictAudit.js';
import { loadMergeModule } from '../../../replicator/merge/loadMergeModule.js';
import { MergePeerWriter } from '../../../replicator/merge/MergePeerWriter.js';
import { processBatch } from '../../../replicator/processBatch.js';
import {
  awsError,
  evaluateCondition,
  MemoryDeadLetterSink,
  planContext,
  silentLogger,
  streamRecord,
} from '../../helpers/factories.js';

const names = mergeNamesFor('_ds_');
const spec = { attributes: { n: 'counter' }, default: 'lww' } as const;
const EU = 'eu-west-1';
const US = 'us-east-1';
const KEY: Item = { pk: { S: 'k1' } };
const SECRET = 'do-not-log-me';

let tick = 0;
const stamp = (stored: Item | undefined, region: string, write: MergeWrite): Item => {
  tick += 1;
  return stampMergeWrite(stored, KEY, write, {
    region,
    version: encodeVersion({ physicalMs: 1_700_000_000_000 + tick, logical: 0, origin: region }),
    expiresAt: '1',
    spec,
    names,
  });
};

/** A one-item peer table that evaluates conditions; `meddle` changes the item after every read (a busy writer). */
class FakePeer {
  public item: Item | undefined;
  public reads = 0;
  public puts = 0;
  public meddle: ((item: Item | undefined) => Item | undefined) | undefined;
  public readonly client = {
    send: async (command: unknown) => {
      await Promise.resolve();
      if (command instanceof GetItemCommand) {
        this.reads += 1;
        const seen = this.item;
        if (this.meddle !== undefined) this.item = this.meddle(this.item);
        return seen === undefined ? {} : { Item: encodeItem(seen) };
      }
      if (command instanceof PutItemCommand) {
        this.puts += 1;
        const input = command.input as PutItemCommandInput;
        if (!evaluateCondition(input, this.item))
          throw awsError('ConditionalCheckFailedException', { status: 400 });
        this.item = decodeItem(input.Item);
        return {};
      }
      throw new Error('unsupported');
    },
  } as unknown as DynamoDBClient;
}

const setup = (peer: FakePeer, options: { merge?: () => Item; maxAttempts?: number } = {}) => {
  const conflicts: ConflictAuditEntry[] = [];
  const logs: unknown[] = [];
  const logger = {
    ...silentLogger,
    info: (...args: unknown[]) => logs.push(args),
    warn: (...args: unknown[]) => logs.push(args),
  };
  const deadLetters = new MemoryDeadLetterSink();
  const writer = new MergePeerWriter({
    peers: { [US]: { client: peer.client, tableName: 'T' } },
    names,
    spec,
    sourceRegion: EU,
    maxAttempts: options.maxAttempts ?? 3,
    sleep: async () => undefined,
    ...(options.merge === undefined ? {} : { merge: options.merge }),
    onConflict: (entry) => {
      conflicts.push(entry);
    },
  });
  const deps = {
    context: planContext({ peers: [US], clockAttribute: names.clock }),
    writer,
    deadLetters,
    logger,
    configVersion: 'cfg',
  };
  return { deps, conflicts, deadLetters, logs };
};

const recordOf = (oldImage: Item | undefined, newImage: Item) =>
  streamRecord({
    ...(oldImage === undefined ? {} : { oldImage: encodeItem(oldImage) }),
    newImage: encodeItem(newImage),
  });

describe('MergePeerWriter', () => {
  it('applies a change with one conditional put and no read when the peer holds what the source held', async () => {
    const base = stamp(undefined, EU, { type: 'put', item: { a: { S: 'x' } } });
    const peer = new FakePeer();
    peer.item = { ...base, [names.replicated]: { BOOL: true } };
    const next = stamp(base, EU, { type: 'update', add: { n: '2' } });
    const { deps, conflicts } = setup(peer);
    const result = await processBatch([recordOf(base, next)], Date.now() + 10_000, deps);
    expect(result.counts).toMatchObject({ applied: 1, stale: 0 });
    expect([peer.reads, peer.puts]).toEqual([0, 1]);
    expect(peer.item?.n).toEqual({ N: '2' });
    expect(conflicts).toEqual([]);
  });

  it('reads, then skips a stale (redelivered) change', async () => {
    const base = stamp(undefined, EU, { type: 'put', item: { a: { S: 'x' } } });
    const next = stamp(base, EU, { type: 'update', add: { n: '2' } });
    const peer = new FakePeer();
    peer.item = stamp(next, US, { type: 'update', add: { n: '1' } });
    const { deps } = setup(peer);
    const result = await processBatch([recordOf(base, next)], Date.now() + 10_000, deps);
    expect(result.counts).toMatchObject({ applied: 0, stale: 1 });
    expect(peer.item?.n).toEqual({ N: '3' });
  });

  it('merges a concurrent change, counts and audits the conflict without values', async () => {
    const base = stamp(undefined, EU, { type: 'put', item: { a: { S: 'x' } } });
    const eu = stamp(base, EU, { type: 'update', set: { a: { S: SECRET } }, add: { n: '2' } });
    const peer = new FakePeer();
    peer.item = stamp(base, US, { type: 'update', set: { b: { S: SECRET } }, add: { n: '5' } });
    const { deps, conflicts, logs } = setup(peer);
    const result = await processBatch([recordOf(base, eu)], Date.now() + 10_000, deps);
    expect(result.counts).toMatchObject({ applied: 1, conflicts: 1 });
    expect(peer.item?.n).toEqual({ N: '7' });
    expect(peer.item?.[names.replicated]).toEqual({ BOOL: true });
    expect(conflicts).toEqual([
      expect.objectContaining({
        outcome: 'merged',
        sourceRegion: EU,
        targetRegion: US,
        localClock: `${EU}:1,${US}:1`,
        remoteClock: `${EU}:2`,
        mergedClock: `${EU}:2,${US}:1`,
        changedAttributes: ['a', 'n'],
      }),
    ]);
    expect(JSON.stringify([conflicts, logs])).not.toContain(SECRET);
    expect(JSON.stringify([conflicts, logs])).not.toContain('"k1"');
  });

  it('dead-letters a conflict that keeps losing the race, whole, with the stored version', async () => {
    const base = stamp(undefined, EU, { type: 'put', item: { a: { S: 'x' } } });
    const eu = stamp(base, EU, { type: 'update', add: { n: '2' } });
    const peer = new FakePeer();
    peer.item = stamp(base, US, { type: 'update', add: { n: '5' } });
    peer.meddle = (item) => stamp(item, US, { type: 'update', add: { n: '1' } });
    const { deps, deadLetters, conflicts } = setup(peer, { maxAttempts: 3 });
    const result = await processBatch([recordOf(base, eu)], Date.now() + 10_000, deps);
    expect(result.counts.deadLettered).toBe(1);
    expect(result.batchItemFailures).toEqual([]);
    expect(peer.reads).toBe(3);
    const [letter] = deadLetters.entries;
    expect(letter?.error.code).toBe(ErrorCodes.conflict.mergeContended);
    expect(letter?.storedItem).toBeDefined();
    expect(letter?.record.dynamodb?.NewImage).toEqual(encodeItem(eu));
    expect(conflicts.map((c) => c.outcome)).toEqual(['contended']);
  });

  it('dead-letters a conflict whose merge throws, whole, with the stored version', async () => {
    const base = stamp(undefined, EU, { type: 'put', item: { a: { S: 'x' } } });
    const eu = stamp(base, EU, { type: 'update', set: { a: { S: 'y' } } });
    const peer = new FakePeer();
    peer.item = stamp(base, US, { type: 'update', set: { b: { S: 'z' } } });
    const stored = peer.item;
    const { deps, deadLetters, conflicts } = setup(peer, {
      merge: () => {
        throw new Error('user merge bug');
      },
    });
    const result = await processBatch([recordOf(base, eu)], Date.now() + 10_000, deps);
    expect(result.counts.deadLettered).toBe(1);
    expect(deadLetters.entries[0]?.error.code).toBe(ErrorCodes.conflict.mergeFailed);
    expect(deadLetters.entries[0]?.storedItem).toEqual(encodeItem(stored));
    expect(peer.item).toEqual(stored);
    expect(conflicts.map((c) => c.outcome)).toEqual(['mergeFailed']);
  });
});

describe('a merge module that cannot be loaded', () => {
  it('holds the conflict on the stream (unfinished) instead of dead-lettering it', async () => {
    const base = stamp(undefined, EU, { type: 'put', item: { a: { S: 'x' } } });
    const eu = stamp(base, EU, { type: 'update', set: { a: { S: 'y' } } });
    const peer = new FakePeer();
    peer.item = stamp(base, US, { type: 'update', set: { b: { S: 'z' } } });
    const stored = peer.item;
    const failing = loadMergeModule('/nonexistent/merge.mjs');
    failing.catch(() => undefined);
    const conflicts: ConflictAuditEntry[] = [];
    const deadLetters = new MemoryDeadLetterSink();
    const writer = new MergePeerWriter({
      peers: { [US]: { client: peer.client, tableName: 'T' } },
      names,
      spec,
      sourceRegion: EU,
      merge: failing,
      onConflict: (entry) => {
        conflicts.push(entry);
      },
    });
    const record = recordOf(base, eu);
    const result = await processBatch([record], Date.now() + 10_000, {
      context: planContext({ peers: [US], clockAttribute: names.clock }),
      writer,
      deadLetters,
      logger: silentLogger,
      configVersion: 'cfg',
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.dynamodb?.SequenceNumber }]);
    expect(deadLetters.entries).toEqual([]);
    expect(peer.item).toEqual(stored);
    expect(conflicts.map((c) => c.outcome)).toEqual(['unfinished']);
  });
});

describe('classification under merge', () => {
  it('rejects (dead-letters) an application write that left the vector clock unchanged', async () => {
    const base = stamp(undefined, EU, { type: 'put', item: { a: { S: 'x' } } });
    const lwwStyle = {
      ...base,
      a: { S: 'y' },
      [names.version]: { S: encodeVersion({ physicalMs: 1_800_000_000_000, logical: 0, origin: EU }) },
    };
    const peer = new FakePeer();
    const { deps, deadLetters } = setup(peer);
    const result = await processBatch([recordOf(base, lwwStyle)], Date.now() + 10_000, deps);
    expect(result.counts.deadLettered).toBe(1);
    expect(deadLetters.entries[0]?.error.code).toBe(ErrorCodes.replicator.unstampedWrite);
    expect(peer.puts).toBe(0);
  });

  it('skips a replicated write whose clock moved even when its version did not', async () => {
    const base = stamp(undefined, EU, { type: 'put', item: { a: { S: 'x' } } });
    const merged = { ...base, [names.clock]: { S: `${EU}:1,${US}:1` }, [names.replicated]: { BOOL: true } };
    const peer = new FakePeer();
    const { deps } = setup(peer);
    const result = await processBatch([recordOf(base, merged)], Date.now() + 10_000, deps);
    expect(result.counts.skipped.echo).toBe(1);
    expect(peer.puts).toBe(0);
  });
});
