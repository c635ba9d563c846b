import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import type { Config } from '../../../core/config/types.js';
import { LocalKeyProvider } from '../../../keys/LocalKeyProvider.js';
import { createDynamoClients } from '../../../replicator/clients.js';
import { createPipelines } from '../../../replicator/createPipelines.js';
import { createReplicator } from '../../../replicator/createReplicator.js';
import { toLambdaRecord } from '../../../replicator/poller/toLambdaRecord.js';
import { BackfillExitCodes, runBackfillCommand } from '../../../tools/backfill/command.js';
import { runDecrypt } from '../../../tools/decrypt/decrypt.js';
import { createReplicatedTable } from '../../../tools/tables.js';
import { runVerifyCommand, VerifyExitCodes } from '../../../tools/verify/command.js';
import { localEndpoint, readWholeStream, uniqueTableName } from '../../helpers/dynamo.js';
import { MemoryDeadLetterSink, silentLogger } from '../../helpers/factories.js';

const EU = 'eu-west-1';
const US = 'us-east-1';
const AP = 'ap-south-1';
const ITEMS = 200;
const email = (i: number) => `person${i}.surname@example.com`;

describe('one-way pair with a masking pipeline (DynamoDB Local)', () => {
  let dir: string;
  let config: Config;
  let configFile: string;
  let rawDocument: { regions: Record<string, { table: string; endpoint: string }> };
  let clients: ReturnType<typeof createDynamoClients>;
  const KEY = randomBytes(32).toString('base64');
  const keys = () => new LocalKeyProvider({ source: { env: 'K' }, env: { K: KEY } });
  let seen = 0;

  /** Feeds every new record of the source's stream to the replicator once. */
  const replicate = async () => {
    const records = await readWholeStream(clients[EU]!, localEndpoint(0), config.regions[EU]!.table);
    const fresh = records.slice(seen);
    seen = records.length;
    const pipelines = await createPipelines(config, EU, { keys: keys() });
    const replicator = createReplicator({
      config,
      region: EU,
      clients,
      pipelines,
      logger: silentLogger,
      deadLetters: new MemoryDeadLetterSink(),
    });
    const result = await replicator.process(
      fresh.map((record) => toLambdaRecord(record, { streamArn: 'arn:local', awsRegion: EU })),
      Date.now() + 30_000,
    );
    expect(result.batchItemFailures).toEqual([]);
    return result;
  };

  const scan = async (region: string) =>
    (
      await clients[region]!.send(
        new ScanCommand({ TableName: config.regions[region]!.table, ConsistentRead: true }),
      )
    ).Items ?? [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dynasync-mask-'));
    await writeFile(join(dir, 'masking.key'), KEY);
    const document = {
      version: 1,
      name: 'people',
      regions: {
        [EU]: { table: uniqueTableName('src'), endpoint: localEndpoint(0) },
        [US]: { table: uniqueTableName('us'), endpoint: localEndpoint(1) },
        [AP]: { table: uniqueTableName('ap'), endpoint: localEndpoint(1) },
      },
      topology: { type: 'one-way', from: EU, to: [US, AP] },
      keys: { type: 'local', file: join(dir, 'masking.key') },
      pipelines: Object.fromEntries(
        [US, AP].map((peer) => [
          peer,
          {
            key: ['pk'],
            stages: [
              { type: 'filter', id: 'no-internal', keyPrefix: 'user#' },
              {
                type: 'mask',
                id: 'pii',
                rules: [
                  { path: 'pk', action: 'tokenize' },
                  { path: 'email', action: 'tokenize' },
                  { path: 'phone', action: 'encrypt' },
                  { path: 'contacts[*].email', action: 'redact' },
                ],
              },
            ],
          },
        ]),
      ),
    };
    rawDocument = document;
    configFile = join(dir, 'dynasync.json');
    await writeFile(configFile, JSON.stringify(document));
    config = parseConfig(document);
    clients = createDynamoClients(config);
    for (const region of [EU, US, AP])
      await createReplicatedTable(clients[region]!, config.regions[region]!.table, {
        partitionKey: { name: 'pk', type: 'S' },
      });
  });

  afterAll(async () => {
    for (const client of Object.values(clients ?? {})) client.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('the replicas hold tokens and no emails; the same email has the same token in both regions; deletes find the token', async () => {
    // Prepare: 200 people (plus internal items the filter keeps out) in the source.
    const table = config.regions[EU]!.table;
    const puts = Array.from({ length: ITEMS }, (_, i) => ({
      pk: { S: `user#${email(i)}` },
      email: { S: email(i) },
      phone: { S: `+44 20 7946 ${String(i).padStart(4, '0')}` },
      contacts: { L: [{ M: { email: { S: `friend.of.${email(i)}` } } }] },
      n: { N: String(i) },
    }));
    for (let i = 0; i < puts.length; i += 25)
      await clients[EU]!.send(
        new BatchWriteItemCommand({
          RequestItems: { [table]: puts.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
        }),
      );
    await clients[EU]!.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'internal#1' }, email: { S: email(0) } } }),
    );

    // Act
    await replicate();

    // Assess: no clear email or phone anywhere in either replica ...
    const us = await scan(US);
    const ap = await scan(AP);
    expect(us).toHaveLength(ITEMS);
    const text = JSON.stringify([us, ap]);
    expect(text).not.toContain('@example.com');
    // A clear phone number, not the digits alone: the derived versions end in the stream's sequence
    // number, which on a busy DynamoDB Local instance can contain "7946" too.
    expect(text).not.toMatch(/7946 \d{4}/);
    // ... tokens are equal across regions, and an email's token is its key's token source
    const tokens = (items: typeof us) => new Set(items.map((item) => item.email!.S));
    expect(tokens(us)).toEqual(tokens(ap));
    expect(tokens(us).size).toBe(ITEMS);
    // ... an authorised user reads a phone number back from the replica
    const printed: string[] = [];
    const sample = us.find((item) => item.n!.N === '7')!;
    await runDecrypt({
      config,
      region: US,
      key: JSON.stringify({ pk: sample.pk }),
      clients,
      print: (line) => printed.push(line),
    });
    expect(printed).toEqual(['phone\t{"S":"+44 20 7946 0007"}']);
    // ... and verify, comparing through the pipeline, finds the pair in sync.
    const verifyOut: string[] = [];
    const code = await runVerifyCommand(
      { config: configFile, from: EU, to: US, settle: 0, json: true, spillDir: dir },
      { print: (line) => verifyOut.push(line), clients },
    );
    expect(JSON.parse(verifyOut.join('\n')).counts).toMatchObject({ missing: 0, extra: 0, different: 0 });
    expect(code).toBe(VerifyExitCodes.inSync);

    // Act: delete and update people at the source.
    for (let i = 0; i < 10; i += 1)
      await clients[EU]!.send(
        new DeleteItemCommand({ TableName: table, Key: { pk: { S: `user#${email(i)}` } } }),
      );
    await clients[EU]!.send(
      new PutItemCommand({ TableName: table, Item: { ...puts[20]!, n: { N: '2000' } } }),
    );
    await replicate();

    // Assess: the deletes found the tokenized keys (tombstones), the update landed on the same item.
    const after = await scan(US);
    expect(after).toHaveLength(ITEMS);
    expect(after.filter((item) => item._ds_del?.BOOL === true)).toHaveLength(10);
    expect(after.filter((item) => item.n?.N === '2000')).toHaveLength(1);
    expect(JSON.stringify(after)).not.toContain('@example.com');
  });

  it('backfill seeds a new masked replica through the same pipeline: tokens as replication writes them, verify clean', async () => {
    // Prepare: a new, empty table for AP, the source as the first test left it (190 people, one internal item).
    const document = structuredClone(rawDocument);
    document.regions[AP] = { ...document.regions[AP]!, table: uniqueTableName('ap-seed') };
    const seedFile = join(dir, 'seed.json');
    await writeFile(seedFile, JSON.stringify(document));
    const seedConfig = parseConfig(document);
    await createReplicatedTable(clients[AP]!, seedConfig.regions[AP]!.table, {
      partitionKey: { name: 'pk', type: 'S' },
    });
    const out: string[] = [];

    // Act
    const code = await runBackfillCommand(
      { config: seedFile, from: EU, to: AP, json: true, checkpoint: join(dir, 'seed.checkpoint.json') },
      { print: (line) => out.push(line), clients },
    );

    // Assess: every person written masked, the internal item filtered out, the same tokens as replication's.
    expect(code).toBe(BackfillExitCodes.complete);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ complete: true, written: ITEMS - 10 });
    const seeded = (
      await clients[AP]!.send(
        new ScanCommand({ TableName: seedConfig.regions[AP]!.table, ConsistentRead: true }),
      )
    ).Items!;
    expect(seeded).toHaveLength(ITEMS - 10);
    expect(JSON.stringify(seeded)).not.toContain('@example.com');
    const replicated = (await scan(US)).filter((item) => item._ds_del === undefined);
    const project = (items: typeof seeded) =>
      new Map(items.map((item) => [item.pk!.S, [item.email!.S, item.phone!.S, item.n!.N]]));
    expect(project(seeded)).toEqual(project(replicated));
    const verifyOut: string[] = [];
    expect(
      await runVerifyCommand(
        { config: seedFile, from: EU, to: AP, settle: 0, json: true, spillDir: dir },
        { print: (line) => verifyOut.push(line), clients },
      ),
    ).toBe(VerifyExitCodes.inSync);
  });
});
