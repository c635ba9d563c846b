import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../core/errors.js';
import type { PeerWriterOptions } from '../../replicator/PeerWriter.js';
import type { PlanContext } from '../../replicator/planBatch.js';
import { processBatch } from '../../replicator/processBatch.js';
import type { StreamRecord } from '../../replicator/types.js';
import {
  FakeTable,
  fakeWriter,
  ManualClock,
  MemoryDeadLetterSink,
  planContext,
  silentLogger,
  stamped,
  streamRecord,
  version,
} from '../helpers/factories.js';

const PEERS = ['us-east-1', 'ap-south-1'];

const put = (pk: string, at: number, extra: Record<string, { S: string }> = {}): StreamRecord =>
  streamRecord({ newImage: stamped({ pk: { S: pk }, ...extra }, version(at)), createdAt: at / 1000 });

const setup = (
  options: {
    context?: Partial<PlanContext>;
    writer?: Partial<PeerWriterOptions>;
    peers?: readonly string[];
  } = {},
) => {
  const clock = new ManualClock();
  const peers = (options.peers ?? PEERS).map((region) => new FakeTable({ region }));
  const deadLetters = new MemoryDeadLetterSink();
  const deps = {
    context: planContext({ peers: peers.map((p) => p.region), ...options.context }),
    writer: fakeWriter(peers, { now: clock.now, sleep: clock.sleep, ...options.writer }),
    deadLetters,
    logger: silentLogger,
    configVersion: 'cfg123',
    now: clock.now,
  };
  return { clock, peers, deadLetters, deps, deadline: clock.ms + 10_000 };
};

describe('processBatch', () => {
  it('applies every change at every peer and reports no failures', async () => {
    // Prepare
    const { peers, deps, deadline, clock } = setup();
    const records = [put('k1', clock.ms - 250), put('k2', clock.ms - 1000)];

    // Act
    const result = await processBatch(records, deadline, deps);

    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    expect(result.counts).toMatchObject({
      records: 2,
      changes: 2,
      applied: 4,
      stale: 0,
      deadLettered: 0,
      unfinished: 0,
      retried: 0,
    });
    expect(result.lagMs).toBe(250);
    for (const peer of peers) expect(Object.keys(peer.snapshot())).toHaveLength(2);
  });

  it('counts applied and stale writes per peer, with the version time of the newest applied change', async () => {
    // Prepare: us-east-1 already holds k1 at a newer version, so k1 is stale there.
    const { peers, deps, deadline, clock } = setup();
    const records = [put('k1', clock.ms - 500), put('k2', clock.ms - 300)];
    peers[0]!.write(stamped({ pk: { S: 'k1' } }, version(clock.ms)));

    // Act
    const result = await processBatch(records, deadline, deps);

    // Assess
    expect(result.peers).toStrictEqual({
      'us-east-1': { applied: 1, stale: 1, newestAppliedVersionMs: clock.ms - 300 },
      'ap-south-1': { applied: 2, stale: 0, newestAppliedVersionMs: clock.ms - 300 },
    });
  });

  it('leaves out the version time of versions it derived from stream times (one-way, unstamped)', async () => {
    // Prepare
    const { deps, deadline, clock } = setup({ context: { topology: 'one-way' }, peers: ['us-east-1'] });
    const record = streamRecord({ newImage: { pk: { S: 'k1' } }, createdAt: (clock.ms - 60_000) / 1000 });

    // Act
    const result = await processBatch([record], deadline, deps);

    // Assess
    expect(result.counts.applied).toBe(1);
    expect(result.peers).toStrictEqual({ 'us-east-1': { applied: 1, stale: 0 } });
  });

  it('reports the first unfinished record when a write outlasts the deadline', async () => {
    // Prepare: k2 is throttled for ever at one peer.
    const { peers, deps, deadline } = setup();
    peers[1]!.fail('throttling', { times: Number.POSITIVE_INFINITY, key: { pk: { S: 'k2' } } });
    const records = [put('k1', 1000), put('k2', 1000), put('k3', 1000), put('k4', 1000)];
    peers[0]!.fail('throttling', { times: Number.POSITIVE_INFINITY, key: { pk: { S: 'k4' } } });

    // Act
    const result = await processBatch(records, deadline, deps);

    // Assess
    expect(result.batchItemFailures).toStrictEqual([
      { itemIdentifier: records[1]!.dynamodb!.SequenceNumber },
    ]);
    expect(result.counts.unfinished).toBe(2);
    expect(result.counts.applied).toBe(6);
  });

  it('reports the oldest record of a coalesced key when its write is unfinished', async () => {
    // Prepare: #0 k1 (old), #1 k2, #2 k1 (new); k1 never gets through.
    const { peers, deps, deadline } = setup({ peers: ['us-east-1'] });
    peers[0]!.fail('throttling', { times: Number.POSITIVE_INFINITY, key: { pk: { S: 'k1' } } });
    const records = [put('k1', 1000), put('k2', 1000), put('k1', 2000)];

    // Act
    const result = await processBatch(records, deadline, deps);

    // Assess
    expect(result.batchItemFailures).toStrictEqual([
      { itemIdentifier: records[0]!.dynamodb!.SequenceNumber },
    ]);
  });

  it('dead-letters a permanent failure with the whole record and carries on with the batch', async () => {
    // Prepare
    const { peers, deps, deadline, deadLetters } = setup();
    peers[0]!.fail('validation', { key: { pk: { S: 'k2' } } });
    const records = [put('k1', 1000), put('k2', 1000), put('k3', 1000)];

    // Act
    const result = await processBatch(records, deadline, deps);

    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    expect(result.counts).toMatchObject({ applied: 5, deadLettered: 1 });
    expect(deadLetters.entries).toHaveLength(1);
    expect(deadLetters.entries[0]).toMatchObject({
      kind: 'streamRecord',
      record: records[1],
      sourceRegion: 'eu-west-1',
      targetRegions: ['us-east-1'],
      error: { code: ErrorCodes.replicator.writeRejected },
      attempts: 1,
      configVersion: 'cfg123',
    });
    expect(deadLetters.entries[0]!.record).toStrictEqual(records[1]);
    expect(peers[0]!.get({ pk: { S: 'k3' } })).toBeDefined();
    expect(peers[1]!.get({ pk: { S: 'k2' } })).toBeDefined();
  });

  it('dead-letters a record that cannot be planned, for every peer, and carries on', async () => {
    const { deps, deadline, deadLetters, peers } = setup();
    const malformed = streamRecord({ newImage: { pk: { S: 'k9' }, n: { N: 'abc' } } });
    const records = [malformed, put('k1', 1000)];

    const result = await processBatch(records, deadline, deps);

    expect(result.batchItemFailures).toStrictEqual([]);
    expect(deadLetters.entries).toHaveLength(1);
    expect(deadLetters.entries[0]).toMatchObject({
      record: malformed,
      targetRegions: PEERS,
      attempts: 0,
      error: { code: ErrorCodes.replicator.malformedRecord },
    });
    expect(peers[0]!.get({ pk: { S: 'k1' } })).toBeDefined();
  });

  it('keeps the records on the stream when the dead-letter sink fails', async () => {
    // Prepare
    const { peers, deps, deadline, deadLetters } = setup();
    deadLetters.failure = new Error('disk full');
    peers[0]!.fail('validation', { key: { pk: { S: 'k3' } } });
    const records = [
      put('k1', 1000),
      streamRecord({ newImage: { pk: { S: 'k2' }, n: { N: 'x' } } }),
      put('k3', 1000),
    ];

    // Act
    const result = await processBatch(records, deadline, deps);

    // Assess
    expect(result.batchItemFailures).toStrictEqual([
      { itemIdentifier: records[1]!.dynamodb!.SequenceNumber },
    ]);
    expect(result.counts.deadLettered).toBe(0);
  });

  it('counts a peer that already holds a newer version as stale, not as an error', async () => {
    // Prepare
    const { peers, deps, deadline, deadLetters } = setup({ peers: ['us-east-1'] });
    const newer = stamped({ pk: { S: 'k1' }, a: { S: 'newer' } }, version(5000, 0, 'us-east-1'));
    peers[0]!.write(newer);

    // Act
    const result = await processBatch([put('k1', 1000, { a: { S: 'older' } })], deadline, deps);

    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    expect(result.counts).toMatchObject({ applied: 0, stale: 1, deadLettered: 0, unfinished: 0 });
    expect(deadLetters.entries).toStrictEqual([]);
    expect(peers[0]!.get({ pk: { S: 'k1' } })?.a).toStrictEqual({ S: 'newer' });
    expect(result.lagMs).toBeUndefined();
  });

  it('counts skips by reason and retries', async () => {
    const { peers, deps, deadline } = setup({ peers: ['us-east-1'] });
    peers[0]!.fail('throttling', { times: 2 });
    const v = version(1000, 0, 'us-east-1');
    const records = [
      put('k1', 1000),
      put('k1', 2000),
      streamRecord({ newImage: stamped({ pk: { S: 'k2' } }, v, { replicated: true }) }),
      streamRecord({ oldImage: stamped({ pk: { S: 'k3' } }, v, { deleted: true }), ttl: true }),
    ];

    const result = await processBatch(records, deadline, deps);

    expect(result.counts.skipped).toMatchObject({
      coalesced: 1,
      echo: 1,
      ttl: 1,
      tombstonePurge: 0,
      noPeers: 0,
    });
    expect(result.counts.retried).toBe(2);
    expect(result.counts.changes).toBe(1);
  });

  it('reports nothing for an empty batch', async () => {
    const { deps, deadline } = setup();

    const result = await processBatch([], deadline, deps);

    expect(result.batchItemFailures).toStrictEqual([]);
    expect(result.counts.records).toBe(0);
  });
});
