import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../core/config/index.js';
import { ErrorCodes, isDynasyncError } from '../../core/errors.js';
import { itemSize, MAX_ITEM_BYTES } from '../../core/itemSize.js';
import type { WireItem } from '../../core/types.js';
import { createDynamoClients } from '../../replicator/clients.js';
import { createReplicator, deadLetterPath } from '../../replicator/createReplicator.js';
import { FileDeadLetterSink } from '../../replicator/deadLetter/FileDeadLetterSink.js';
import { runPoller } from '../../replicator/poller/runPoller.js';
import type { StreamRecord } from '../../replicator/types.js';
import { createReplicatedTable, type KeyDefinition } from '../../tools/tables.js';
import { localEndpoint, uniqueTableName } from '../helpers/dynamo.js';
import { type StreamRecordOptions, streamRecord } from '../helpers/factories.js';
import { recordingLogger } from '../replicator/poller/pollerHarness.js';

/**
 * The bad-input corpus: every kind of record the replicator can be handed that it must not write,
 * mixed into one batch with good records, through the real replicator against DynamoDB Local and a
 * file dead-letter sink. Each bad record is dead-lettered whole with its own code and a message that
 * names it; the good ones are applied; the batch completes (no batchItemFailures).
 */

const EU = 'eu-west-1';
const US = 'us-east-1';
const S_KEY: KeyDefinition = { partitionKey: { name: 'pk', type: 'S' } };
const N_KEY: KeyDefinition = { partitionKey: { name: 'pk', type: 'N' } };

interface Env {
  readonly config: Config;
  readonly clients: Record<string, DynamoDBClient>;
  readonly sink: FileDeadLetterSink;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One-way EU → US on the two DynamoDB Local instances; tables created as asked (none: missing). */
const oneWay = async (tables: { eu?: KeyDefinition; us?: KeyDefinition }): Promise<Env> => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-bad-'));
  const table = uniqueTableName('bad');
  const config = parseConfig({
    version: 1,
    name: 'bad-input',
    regions: { [EU]: { table, endpoint: localEndpoint(0) }, [US]: { table, endpoint: localEndpoint(1) } },
    topology: { type: 'one-way', from: EU, to: [US] },
    replicator: { checkpointDir: join(dir, 'cp') },
    deadLetter: { type: 'file', dir: join(dir, 'dlq') },
  });
  const clients = createDynamoClients(config);
  if (tables.eu !== undefined) await createReplicatedTable(clients[EU]!, table, tables.eu);
  if (tables.us !== undefined) await createReplicatedTable(clients[US]!, table, tables.us);
  cleanups.push(async () => {
    for (const client of Object.values(clients)) client.destroy();
    await rm(dir, { recursive: true, force: true });
  });
  return { config, clients, sink: new FileDeadLetterSink(deadLetterPath(config, EU)) };
};

const at = (env: Env, region: string, pk: { S: string }) =>
  env.clients[region]!.send(
    new GetItemCommand({
      TableName: env.config.regions[region]!.table,
      Key: { pk },
      ConsistentRead: true,
    }),
  );

const withoutKeys = (record: StreamRecord): StreamRecord => {
  const { Keys: _keys, ...body } = record.dynamodb!;
  return { ...record, dynamodb: body };
};

/** An item that fits DynamoDB's 400 KB as it is, but not with the replication metadata added. */
const almostFullItem = (): WireItem => {
  const item = { pk: { S: 'big' }, blob: { S: '' } };
  const room = MAX_ITEM_BYTES - 10 - itemSize({ pk: { S: 'big' }, blob: { S: '' } });
  return { ...item, blob: { S: 'x'.repeat(room) } };
};

/**
 * A stream record of now: tombstones then expire in 7 days, not in the past (DynamoDB Local runs
 * TTL and would remove a tombstone dated from the factory's default 2023 stream time).
 */
const record = (options: StreamRecordOptions): StreamRecord =>
  streamRecord({ createdAt: Date.now() / 1000, ...options });

interface Case {
  readonly name: string;
  readonly record: StreamRecord;
  /** The dead-letter code; undefined for a good record (applied at the peer). */
  readonly code?: string;
}

describe('bad input through the replicator, against DynamoDB Local', () => {
  it('dead-letters every bad record whole with its code and reason, and applies the good ones', async () => {
    // Prepare
    const env = await oneWay({ eu: S_KEY, us: S_KEY });
    const logger = recordingLogger();
    const replicator = createReplicator({ config: env.config, region: EU, clients: env.clients, logger });
    const good = (pk: string) => ({ pk: { S: pk }, n: { N: '1' } });
    const big = almostFullItem();
    expect(itemSize(big as never)).toBeLessThanOrEqual(MAX_ITEM_BYTES);
    const cases: Case[] = [
      { name: 'good insert', record: record({ newImage: good('g0') }) },
      {
        name: 'no Keys',
        record: withoutKeys(record({ newImage: good('no-keys') })),
        code: ErrorCodes.replicator.malformedRecord,
      },
      {
        name: 'good modify',
        record: record({ oldImage: good('g1'), newImage: { ...good('g1'), n: { N: '2' } } }),
      },
      {
        name: 'INSERT without NewImage',
        record: record({ eventName: 'INSERT', keys: { pk: { S: 'ins-no-image' } } }),
        code: ErrorCodes.replicator.malformedRecord,
      },
      {
        name: 'MODIFY without NewImage',
        record: record({ eventName: 'MODIFY', oldImage: good('mod-no-image') }),
        code: ErrorCodes.replicator.malformedRecord,
      },
      {
        name: 'KEYS_ONLY stream',
        record: record({
          eventName: 'INSERT',
          keys: { pk: { S: 'keys-only' } },
          streamViewType: 'KEYS_ONLY',
        }),
        code: ErrorCodes.replicator.unsupportedStreamViewType,
      },
      {
        name: 'NEW_IMAGE stream',
        record: record({ newImage: good('new-image'), streamViewType: 'NEW_IMAGE' }),
        code: ErrorCodes.replicator.unsupportedStreamViewType,
      },
      {
        name: 'unknown eventName',
        record: record({ eventName: 'UPSERT', newImage: good('upsert') }),
        code: ErrorCodes.replicator.malformedRecord,
      },
      {
        name: 'N as a JSON number',
        record: record({ newImage: { pk: { S: 'n-number' }, n: { N: 12 } } as unknown as WireItem }),
        code: ErrorCodes.replicator.malformedRecord,
      },
      {
        name: 'empty string set',
        record: record({ newImage: { pk: { S: 'empty-set' }, tags: { SS: [] } } as unknown as WireItem }),
        code: ErrorCodes.replicator.malformedRecord,
      },
      {
        name: 'two type tags',
        record: record({ newImage: { pk: { S: 'two-tags' }, x: { S: 'a', N: '1' } } as unknown as WireItem }),
        code: ErrorCodes.replicator.malformedRecord,
      },
      {
        name: 'over 400 KB with metadata',
        record: record({ newImage: big }),
        code: ErrorCodes.replicator.itemTooLarge,
      },
      {
        name: 'key type the peer table does not have (N for an S key)',
        record: record({ newImage: { pk: { N: '12' }, n: { N: '1' } } }),
        code: ErrorCodes.replicator.writeRejected,
      },
      { name: 'good remove', record: record({ oldImage: good('g2') }) },
      { name: 'good insert at the end', record: record({ newImage: good('g3') }) },
    ];
    const records = cases.map((entry) => entry.record);

    // Act
    const result = await replicator.process(records, Date.now() + 30_000);

    // Assess: the batch is complete, bad records are dead letters, good ones are at the peer.
    expect(result.batchItemFailures).toEqual([]);
    const bad = cases.flatMap((entry, index) => (entry.code === undefined ? [] : [{ ...entry, index }]));
    expect(result.counts.deadLettered).toBe(bad.length);
    const letters = await env.sink.readAll();
    expect(letters).toHaveLength(bad.length);
    const bySequence = new Map(letters.map((letter) => [letter.record.dynamodb?.SequenceNumber, letter]));
    const table: Array<{ index: number; case: string; code: string; message: string }> = [];
    for (const entry of bad) {
      const sequenceNumber = entry.record.dynamodb?.SequenceNumber;
      const letter = bySequence.get(sequenceNumber);
      expect(letter, entry.name).toBeDefined();
      expect(letter!.error.code, entry.name).toBe(entry.code);
      expect(letter!.record, `${entry.name}: the whole record`).toEqual(entry.record);
      expect(letter!.error.message, `${entry.name}: names the record`).toContain(String(sequenceNumber));
      if (
        entry.code !== ErrorCodes.replicator.itemTooLarge &&
        entry.code !== ErrorCodes.replicator.writeRejected
      )
        expect(letter!.error.message, `${entry.name}: names the position`).toContain(
          `record #${entry.index}`,
        );
      expect(letter!.targetRegions).toEqual([US]);
      expect(letter!.sourceRegion).toBe(EU);
      table.push({
        index: entry.index,
        case: entry.name,
        code: letter!.error.code,
        message: letter!.error.message,
      });
    }
    console.log(
      `bad-input corpus: ${records.length} records, ${bad.length} dead-lettered, ${result.counts.applied} applied\n${table
        .map((row) => `  #${row.index} ${row.case} → ${row.code}: ${row.message.slice(0, 160)}`)
        .join('\n')}`,
    );
    // The reasons say what is wrong.
    const message = (name: string) => table.find((row) => row.case === name)!.message;
    expect(message('no Keys')).toMatch(/no Keys/);
    expect(message('INSERT without NewImage')).toMatch(/INSERT without NewImage/);
    expect(message('MODIFY without NewImage')).toMatch(/MODIFY without NewImage/);
    expect(message('KEYS_ONLY stream')).toMatch(/KEYS_ONLY.*NEW_AND_OLD_IMAGES/);
    expect(message('unknown eventName')).toMatch(/UPSERT/);
    expect(message('over 400 KB with metadata')).toMatch(/bytes/);
    expect(message('key type the peer table does not have (N for an S key)')).toMatch(/ValidationException/);

    for (const pk of ['g0', 'g3']) expect((await at(env, US, { S: pk })).Item?.n, pk).toEqual({ N: '1' });
    expect((await at(env, US, { S: 'g1' })).Item?.n).toEqual({ N: '2' });
    expect((await at(env, US, { S: 'g2' })).Item?._ds_del).toEqual({ BOOL: true });
    for (const pk of ['no-keys', 'upsert', 'n-number', 'big', 'new-image'])
      expect((await at(env, US, { S: pk })).Item, pk).toBeUndefined();
    expect(logger.messages('warn').filter((message) => message === 'record dead-lettered')).toHaveLength(
      bad.length,
    );
  });

  it('dead-letters each write to a peer table whose key type differs (pk N there, S here)', async () => {
    const env = await oneWay({ eu: S_KEY, us: N_KEY });
    const replicator = createReplicator({
      config: env.config,
      region: EU,
      clients: env.clients,
      logger: recordingLogger(),
    });
    const records = [
      record({ newImage: { pk: { S: 'a' }, n: { N: '1' } } }),
      record({ newImage: { pk: { S: 'b' }, n: { N: '2' } } }),
    ];

    const result = await replicator.process(records, Date.now() + 30_000);

    expect(result.batchItemFailures).toEqual([]);
    const letters = await env.sink.readAll();
    expect(letters.map((letter) => letter.error.code)).toEqual([
      ErrorCodes.replicator.writeRejected,
      ErrorCodes.replicator.writeRejected,
    ]);
    expect(letters.map((letter) => letter.record)).toEqual(expect.arrayContaining(records));
    for (const letter of letters) expect(letter.error.message).toMatch(/ValidationException/);
  });

  it('refuses at start-up, not per record, a config whose tables are missing or have another key type', async () => {
    for (const tables of [{ eu: S_KEY }, { eu: S_KEY, us: N_KEY }]) {
      const env = await oneWay(tables);
      const logger = recordingLogger();

      const failure = await runPoller({
        config: env.config,
        region: EU,
        logger,
        statsIntervalMs: 0,
        signals: { emitter: new EventEmitter() },
      }).then(
        () => undefined,
        (error: unknown) => error,
      );

      expect(isDynasyncError(failure, ErrorCodes.config.tableMismatch), String(failure)).toBe(true);
      const problems = (failure as { payload: { problems: Array<{ region: string; problem: string }> } })
        .payload.problems;
      expect(problems).toEqual([
        expect.objectContaining({ region: US, problem: tables.us === undefined ? 'missing' : 'keySchema' }),
      ]);
      expect(await env.sink.readAll()).toEqual([]);
      expect(logger.messages('info')).not.toContain('stream poller started');
    }
  });

  it('holds records on the stream (no dead letters) while a peer table is missing at run time', async () => {
    const env = await oneWay({ eu: S_KEY });
    const replicator = createReplicator({
      config: env.config,
      region: EU,
      clients: env.clients,
      logger: recordingLogger(),
    });
    const records = [record({ newImage: { pk: { S: 'a' } } }), record({ newImage: { pk: { S: 'b' } } })];

    const result = await replicator.process(records, Date.now() + 1_500);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[0]!.dynamodb!.SequenceNumber }]);
    expect(result.counts.unfinished).toBe(2);
    expect(await env.sink.readAll()).toEqual([]);
  });
});
