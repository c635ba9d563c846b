import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../core/errors.js';
import { PeerWriter } from '../../replicator/PeerWriter.js';
import type { PlanContext } from '../../replicator/planBatch.js';
import { type ProcessBatchDeps, processBatch, type ReplicatorLogger } from '../../replicator/processBatch.js';
import type { BatchResult, StreamRecord } from '../../replicator/types.js';
import {
  awsError,
  FakeTable,
  ManualClock,
  MemoryDeadLetterSink,
  names,
  planContext,
  stamped,
  streamRecord,
  version,
} from '../helpers/factories.js';

const PEER = 'us-east-1';

/** A logger that keeps every line, with its level and fields. */
const recordingLogger = () => {
  const lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      lines.push({ level, message, fields });
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger: logger as unknown as ReplicatorLogger, lines };
};

/** A peer client that throws `error` for the keys `failing` returns true for, else writes to `table`. */
const failingClient = (table: FakeTable, failing: (pk: string) => unknown): DynamoDBClient =>
  ({
    send: (command: { input: { Item: Record<string, { S?: string }> } }) => {
      const pk = command.input.Item.pk?.S ?? '';
      const error = failing(pk);
      if (error !== undefined) return Promise.reject(error);
      return table.client.send(command as never);
    },
  }) as unknown as DynamoDBClient;

const setup = (
  options: { client?: (table: FakeTable) => DynamoDBClient; context?: Partial<PlanContext> } = {},
) => {
  const clock = new ManualClock();
  const table = new FakeTable({ region: PEER });
  const deadLetters = new MemoryDeadLetterSink();
  const { logger, lines } = recordingLogger();
  const client = options.client?.(table) ?? table.client;
  const deps: ProcessBatchDeps = {
    context: planContext({ peers: [PEER], now: clock.now, ...options.context }),
    writer: new PeerWriter({
      peers: { [PEER]: { client, tableName: 'Orders' } },
      names,
      sleep: clock.sleep,
      now: clock.now,
      random: () => 0.5,
    }),
    deadLetters,
    logger,
    configVersion: 'cfg',
    now: clock.now,
  };
  return { clock, table, deadLetters, lines, deps };
};

const put = (pk: string, at: number): StreamRecord =>
  streamRecord({ newImage: stamped({ pk: { S: pk } }, version(at)), createdAt: at / 1000 });

/** Delivers `records` as Lambda does: after a partial failure, again from the reported record on. */
const deliverUntilDone = async (
  records: readonly StreamRecord[],
  deps: ProcessBatchDeps,
  clock: ManualClock,
  beforeDelivery: (delivery: number) => void,
): Promise<BatchResult[]> => {
  const results: BatchResult[] = [];
  let batch = records;
  for (let delivery = 1; delivery <= 10 && batch.length > 0; delivery += 1) {
    beforeDelivery(delivery);
    const result = await processBatch(batch, clock.ms + 5_000, deps);
    results.push(result);
    const resumeAt = result.batchItemFailures[0]?.itemIdentifier;
    if (resumeAt === undefined) break;
    batch = batch.slice(batch.findIndex((record) => record.dynamodb?.SequenceNumber === resumeAt));
  }
  return results;
};

describe('processBatch: one dead letter per record, however often the batch is redelivered', () => {
  it('dead-letters a bad record behind a transiently failing one exactly once over 4 deliveries', async () => {
    // Prepare: #0 is bad (before the slow one), #1 is throttled for three deliveries, #2 is bad, #3 fine.
    let throttled = true;
    const { deps, clock, deadLetters, table } = setup({
      client: (fake) =>
        failingClient(fake, (pk) => {
          if (pk === 'bad') return awsError('ValidationException', { status: 400 });
          if (pk === 'slow' && throttled)
            return awsError('ThrottlingException', { status: 400, retryable: true });
          return undefined;
        }),
    });
    const records = [put('bad', 1000), put('slow', 1000), put('bad2', 1000), put('ok', 1000)];
    const malformed = streamRecord({ newImage: { pk: { S: 'm' }, n: { N: 'not-a-number' } } });
    const batch = [records[0]!, records[1]!, malformed, records[3]!];

    // Act: deliveries 1-3 keep #1 unfinished; the 4th gets it through.
    const results = await deliverUntilDone(batch, deps, clock, (delivery) => {
      throttled = delivery < 4;
    });

    // Assess
    expect(results).toHaveLength(4);
    for (const result of results.slice(0, 3))
      expect(result.batchItemFailures).toStrictEqual([
        { itemIdentifier: batch[1]!.dynamodb!.SequenceNumber },
      ]);
    expect(results[3]!.batchItemFailures).toStrictEqual([]);
    const perRecord = new Map<string, number>();
    for (const letter of deadLetters.entries) {
      const sequence = letter.record.dynamodb!.SequenceNumber!;
      perRecord.set(sequence, (perRecord.get(sequence) ?? 0) + 1);
    }
    expect(Object.fromEntries(perRecord)).toStrictEqual({
      [batch[0]!.dynamodb!.SequenceNumber!]: 1,
      [malformed.dynamodb!.SequenceNumber!]: 1,
    });
    expect(deadLetters.entries.find((l) => l.record === malformed)?.error.code).toBe(
      ErrorCodes.replicator.malformedRecord,
    );
    expect(table.get({ pk: { S: 'slow' } })).toBeDefined();
    expect(table.get({ pk: { S: 'ok' } })).toBeDefined();
  });

  it('dead-letters a record behind an unfinished one once, when it is finally reached', async () => {
    // Prepare: #0 throttled on three deliveries, #1 rejected by the peer for ever.
    let throttled = true;
    const { deps, clock, deadLetters } = setup({
      client: (fake) =>
        failingClient(fake, (pk) => {
          if (pk === 'bad') return awsError('ValidationException', { status: 400 });
          if (pk === 'slow' && throttled)
            return awsError('ThrottlingException', { status: 400, retryable: true });
          return undefined;
        }),
    });
    const batch = [put('slow', 1000), put('bad', 1000)];

    // Act
    const results = await deliverUntilDone(batch, deps, clock, (delivery) => {
      throttled = delivery < 4;
    });

    // Assess
    expect(results.map((r) => r.counts.deadLettered)).toStrictEqual([0, 0, 0, 1]);
    expect(deadLetters.entries).toHaveLength(1);
    expect(deadLetters.entries[0]).toMatchObject({
      record: batch[1],
      error: { code: ErrorCodes.replicator.writeRejected },
    });
  });
});

describe('processBatch: malformed entries of a batch', () => {
  it('counts null and non-object entries as malformed, dead-letters what can be kept, and goes on', async () => {
    // Prepare
    const { deps, clock, deadLetters, table, lines } = setup();
    const good = put('k1', 1000);
    const batch = [null, 'not a record', 42, good] as unknown as StreamRecord[];

    // Act
    const result = await processBatch(batch, clock.ms + 5_000, deps);

    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    expect(result.counts.malformed).toBe(3);
    expect(result.counts.deadLettered).toBe(2);
    expect(deadLetters.entries.map((letter) => letter.record)).toStrictEqual(['not a record', 42]);
    for (const letter of deadLetters.entries)
      expect(letter.error.code).toBe(ErrorCodes.replicator.malformedRecord);
    expect(table.get({ pk: { S: 'k1' } })).toBeDefined();
    expect(lines.some((line) => line.level === 'warn' && line.fields.index === 0)).toBe(true);
  });

  it('dead-letters a record whose dynamodb section is null instead of failing the batch', async () => {
    const { deps, clock, deadLetters } = setup();
    const broken = { eventName: 'INSERT', dynamodb: null } as unknown as StreamRecord;

    const result = await processBatch([broken, put('k1', 1000)], clock.ms + 5_000, deps);

    expect(result.batchItemFailures).toStrictEqual([]);
    expect(deadLetters.entries.map((letter) => letter.record)).toStrictEqual([broken]);
  });
});

describe('processBatch: logs that name the cause', () => {
  it.each([
    [
      'a missing peer table',
      awsError('ResourceNotFoundException', {
        status: 400,
        message: 'Requested resource not found: Table: Orders',
      }),
      { errorName: 'ResourceNotFoundException', httpStatusCode: 400 },
    ],
    [
      'AccessDenied',
      awsError('AccessDeniedException', {
        status: 400,
        message: 'User arn:aws:sts::1:assumed-role/x is not authorized; value ada@example.com',
      }),
      { errorName: 'AccessDeniedException', httpStatusCode: 400 },
    ],
    [
      'bad credentials',
      awsError('UnrecognizedClientException', {
        status: 400,
        message: 'The security token included in the request is invalid.',
      }),
      { errorName: 'UnrecognizedClientException', httpStatusCode: 400 },
    ],
    [
      'a refused connection',
      awsError('Error', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' }),
      { errorName: 'Error', errorCode: 'ECONNREFUSED' },
    ],
  ])('logs one WARN per peer and batch naming the peer and the error for %s', async (_case, error, facts) => {
    // Prepare
    const { deps, clock, lines } = setup({ client: (fake) => failingClient(fake, () => error) });

    // Act
    const result = await processBatch([put('k1', 1000), put('k2', 1000)], clock.ms + 5_000, deps);

    // Assess
    expect(result.counts.unfinished).toBe(2);
    const warnings = lines.filter((line) => line.level === 'warn' && line.fields.peer !== undefined);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toStrictEqual({
      code: ErrorCodes.replicator.writeRejected,
      peer: PEER,
      writes: 2,
      ...facts,
    });
    expect(JSON.stringify(lines)).not.toContain(error.message);
  });

  it('logs the real cause of a dead-letter sink failure: name, code and HTTP status, never the message', async () => {
    // Prepare
    const { deps, clock, deadLetters, lines } = setup();
    deadLetters.failure = awsError('AccessDenied', {
      status: 403,
      code: 'AccessDenied',
      message: 'record ada@example.com',
    });
    const bad = streamRecord({ newImage: { pk: { S: 'k9' }, n: { N: 'abc' } } });

    // Act
    const result = await processBatch([bad], clock.ms + 5_000, deps);

    // Assess
    expect(result.batchItemFailures).toStrictEqual([{ itemIdentifier: bad.dynamodb!.SequenceNumber }]);
    const failure = lines.find((line) => line.level === 'error');
    expect(failure?.fields).toMatchObject({
      code: ErrorCodes.replicator.deadLetterFailed,
      errorName: 'AccessDenied',
      errorCode: 'AccessDenied',
      httpStatusCode: 403,
    });
    expect(JSON.stringify(lines)).not.toContain('ada@example.com');
  });
});

describe('processBatch: versions from the future and foreign records', () => {
  it('dead-letters a version years ahead whole, and a later honest write still applies', async () => {
    // Prepare
    const { deps, clock, deadLetters, table } = setup({ context: { maxClockSkewMs: 300_000 } });
    const yearMs = 365 * 86_400_000;
    const forged = streamRecord({
      newImage: stamped({ pk: { S: 'k1' }, a: { S: 'forged' } }, version(clock.ms + 5 * yearMs)),
    });

    // Act
    const first = await processBatch([forged], clock.ms + 5_000, deps);
    clock.ms += 1_000;
    const honest = streamRecord({
      newImage: stamped({ pk: { S: 'k1' }, a: { S: 'honest' } }, version(clock.ms)),
    });
    const second = await processBatch([honest], clock.ms + 5_000, deps);

    // Assess
    expect(first.batchItemFailures).toStrictEqual([]);
    expect(deadLetters.entries).toHaveLength(1);
    expect(deadLetters.entries[0]).toMatchObject({
      record: forged,
      error: { code: ErrorCodes.replicator.versionFromFuture },
    });
    expect(second.counts.applied).toBe(1);
    expect(table.get({ pk: { S: 'k1' } })?.a).toStrictEqual({ S: 'honest' });
  });

  it('dead-letters a record of another table, region or account and never applies it', async () => {
    // Prepare
    const { deps, clock, deadLetters, table } = setup({
      context: { source: { table: 'Orders', awsRegion: 'eu-west-1', account: '123456789012' } },
    });
    const arn = (region: string, account: string, name: string) =>
      `arn:aws:dynamodb:${region}:${account}:table/${name}/stream/2024-01-01T00:00:00.000`;
    const from = (pk: string, eventSourceARN: string): StreamRecord => ({ ...put(pk, 1000), eventSourceARN });
    const batch = [
      from('other-table', arn('eu-west-1', '123456789012', 'Invoices')),
      from('other-region', arn('us-west-2', '123456789012', 'Orders')),
      from('other-account', arn('eu-west-1', '210987654321', 'Orders')),
      from('ours', arn('eu-west-1', '123456789012', 'Orders')),
    ];

    // Act
    const result = await processBatch(batch, clock.ms + 5_000, deps);

    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    expect(deadLetters.entries.map((letter) => [letter.record, letter.error.code])).toStrictEqual(
      batch.slice(0, 3).map((record) => [record, ErrorCodes.replicator.foreignRecord]),
    );
    expect(Object.keys(table.snapshot())).toHaveLength(1);
    expect(table.get({ pk: { S: 'ours' } })).toBeDefined();
  });
});
