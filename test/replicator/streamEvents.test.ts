import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/index.js';
import { ErrorCodes } from '../../core/errors.js';
import { sourceTableOf } from '../../replicator/checkSource.js';
import { createReplicator } from '../../replicator/createReplicator.js';
import { createHandler } from '../../replicator/handler.js';
import type { ReplicatorLogger } from '../../replicator/processBatch.js';
import type { StreamEvent } from '../../replicator/types.js';
import { FakeTable, ManualClock, MemoryDeadLetterSink, silentLogger } from '../helpers/factories.js';

const fixture = (name: string): StreamEvent =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/streamEvents', `${name}.json`), 'utf8'));

const context = { getRemainingTimeInMillis: () => 30_000 };

/** A handler around a replicator of `source` with in-memory peers, dead letters and clock. */
const harness = (options: { source?: string; peer?: string; table?: string; topology?: 'one-way' } = {}) => {
  const source = options.source ?? 'eu-west-1';
  const peerRegion = options.peer ?? 'us-east-1';
  const table = options.table ?? 'Orders';
  const config = parseConfig({
    version: 1,
    name: 'orders',
    regions: { [source]: { table }, [peerRegion]: { table } },
    topology:
      options.topology === 'one-way'
        ? { type: 'one-way', from: source, to: [peerRegion] }
        : { type: 'active-active' },
  });
  // The fixtures' stream time is 2025-12-01T09:00:00Z; the replicator's clock one second later.
  const clock = new ManualClock(1_764_579_601_000);
  const peer = new FakeTable({ region: peerRegion, tableName: table, now: clock.now });
  const deadLetters = new MemoryDeadLetterSink();
  const replicator = createReplicator({
    config,
    region: source,
    clients: { [peerRegion]: peer.client },
    deadLetters,
    logger: silentLogger,
    now: clock.now,
    source: sourceTableOf(config, source, '123456789012'),
  });
  return { handler: createHandler(() => replicator, 1_000), peer, deadLetters };
};

describe('documented DynamoDB Streams event shapes', () => {
  it('NEW_AND_OLD_IMAGES: a stamped MODIFY is applied at the peer', async () => {
    const { handler, peer, deadLetters } = harness();

    const response = await handler(fixture('newAndOldImages'), context);

    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(peer.get({ pk: { S: 'order#1' } })?.total).toStrictEqual({ N: '13.00' });
    expect(deadLetters.entries).toStrictEqual([]);
  });

  it.each(['keysOnly', 'newImage', 'oldImage'])(
    '%s: dead-lettered whole with replicator.unsupportedStreamViewType, nothing written',
    async (name) => {
      const { handler, peer, deadLetters } = harness();
      const event = fixture(name);

      const response = await handler(event, context);

      expect(response).toStrictEqual({ batchItemFailures: [] });
      expect(deadLetters.entries).toHaveLength(1);
      expect(deadLetters.entries[0]).toMatchObject({
        record: event.Records[0],
        error: { code: ErrorCodes.replicator.unsupportedStreamViewType },
        targetRegions: ['us-east-1'],
      });
      expect(peer.snapshot()).toStrictEqual({});
    },
  );

  it('a TTL deletion (userIdentity Service / dynamodb.amazonaws.com) is skipped: each region expires its own copy', async () => {
    const { handler, peer, deadLetters } = harness();

    const response = await handler(fixture('ttlDelete'), context);

    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(peer.calls).toStrictEqual([]);
    expect(deadLetters.entries).toStrictEqual([]);
  });

  it("the Lambda guide's sample, read by its own table's replicator: dead-lettered as malformed (it has no ApproximateCreationDateTime)", async () => {
    const { handler, peer, deadLetters } = harness({
      source: 'us-east-2',
      peer: 'us-west-2',
      table: 'my-table',
      topology: 'one-way',
    });
    const event = fixture('lambdaGuideSample');

    const response = await handler(event, context);

    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(deadLetters.entries.map((letter) => [letter.record, letter.error.code])).toStrictEqual(
      event.Records.map((record) => [record, ErrorCodes.replicator.malformedRecord]),
    );
    for (const letter of deadLetters.entries)
      expect(letter.error.message).toContain('ApproximateCreationDateTime');
    expect(peer.calls).toStrictEqual([]);
  });

  it("the Lambda guide's sample, delivered to the Orders replicator: every record is foreign and dead-lettered, none applied", async () => {
    const { handler, peer, deadLetters } = harness();
    const event = fixture('lambdaGuideSample');

    const response = await handler(event, context);

    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(deadLetters.entries.map((letter) => letter.error.code)).toStrictEqual([
      ErrorCodes.replicator.foreignRecord,
      ErrorCodes.replicator.foreignRecord,
      ErrorCodes.replicator.foreignRecord,
    ]);
    expect(peer.calls).toStrictEqual([]);
  });
});

describe('createHandler: an event without Records', () => {
  it.each([
    ['no Records', {}],
    ['Records null', { Records: null }],
    ['Records an object', { Records: { 0: 'x' } }],
  ])('answers %s with no failures and a WARN, without calling the replicator', async (_case, event) => {
    // Prepare
    const warnings: Array<{ message: string; fields: unknown }> = [];
    const logger = {
      ...silentLogger,
      warn: (message: string, fields: unknown) => warnings.push({ message, fields }),
    } as unknown as ReplicatorLogger;
    let calls = 0;
    const handler = createHandler(
      () => ({
        region: 'eu-west-1',
        peers: [],
        process: async () => {
          calls += 1;
          throw new Error('must not be called');
        },
      }),
      1_000,
      undefined,
      logger,
    );

    // Act
    const response = await handler(event as unknown as StreamEvent, context);

    // Assess
    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(calls).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('no Records');
  });
});
