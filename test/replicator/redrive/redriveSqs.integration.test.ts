import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeVersion } from '../../../conflict/version.js';
import { type Config, parseConfig } from '../../../core/config/index.js';
import { ErrorCodes } from '../../../core/errors.js';
import { decodeDeadLetter, SQS_MAX_MESSAGE_BYTES } from '../../../replicator/deadLetter/encodeDeadLetter.js';
import { SqsDeadLetterSink } from '../../../replicator/deadLetter/SqsDeadLetterSink.js';
import type { DeadLetter } from '../../../replicator/deadLetter/types.js';
import { redrive } from '../../../replicator/redrive/redrive.js';
import { localClient, localEndpoint, uniqueTableName } from '../../helpers/dynamo.js';
import { silentLogger, streamRecord } from '../../helpers/factories.js';
import {
  type MotoServer,
  motoAvailableOrWarn,
  motoClientConfig,
  startMoto,
} from '../../helpers/motoServer.js';

/**
 * `redrive --source sqs` end to end: the real SQS sink fills a queue on moto_server, `redrive()`
 * reads it with the SQS source and replays into a peer table on DynamoDB Local.
 */

const SOURCE = 'eu-west-1';
const REPLICA = 'us-east-1';

const letter = (pk: string, extra: Record<string, { S: string }> = {}): DeadLetter => ({
  id: randomUUID(),
  kind: 'streamRecord',
  record: streamRecord({
    newImage: { pk: { S: pk }, note: { S: 'from the dead-letter queue' }, ...extra },
    createdAt: 1_700_000_000,
    region: SOURCE,
  }),
  sourceRegion: SOURCE,
  targetRegions: [REPLICA],
  error: {
    code: ErrorCodes.replicator.writeRejected,
    message: 'peer rejected the write (ValidationException)',
  },
  attempts: 3,
  firstFailureAt: '2026-11-20T10:00:00.000Z',
  lastFailureAt: '2026-11-20T10:00:01.000Z',
  configVersion: 'abc',
});

describe.skipIf(!motoAvailableOrWarn())(
  'redrive --source sqs (moto_server queue, DynamoDB Local peer)',
  () => {
    let moto: MotoServer;
    let sqs: SQSClient;
    let replica: DynamoDBClient;

    beforeAll(async () => {
      moto = await startMoto();
      console.info(`moto_server answered after ${moto.startAttempts} GET(s), ${moto.startupMs} ms`);
      sqs = new SQSClient(motoClientConfig(moto, SOURCE));
      replica = localClient(1);
    });
    afterAll(async () => {
      sqs?.destroy();
      replica?.destroy();
      await moto?.stop();
    });

    /** A stream-less peer table keyed by `key` (nothing reads a stream here). */
    const peerTable = async (name: string, key = 'pk'): Promise<void> => {
      await replica.send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    };

    /** A queue, a peer table, and the config that names both. */
    const setUp = async (peerKey = 'pk'): Promise<{ config: Config; queueUrl: string; table: string }> => {
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({
          QueueName: `dlq-${randomUUID().slice(0, 8)}`,
          Attributes: { MaximumMessageSize: String(SQS_MAX_MESSAGE_BYTES) },
        }),
      );
      const table = uniqueTableName('rep');
      await peerTable(table, peerKey);
      const config = parseConfig({
        version: 1,
        name: 't',
        regions: {
          [SOURCE]: { table: uniqueTableName('src'), endpoint: localEndpoint(0) },
          [REPLICA]: { table, endpoint: localEndpoint(1) },
        },
        topology: { type: 'one-way', from: SOURCE, to: [REPLICA] },
        deadLetter: { type: 'sqs', queues: { [SOURCE]: QueueUrl! } },
      });
      return { config, queueUrl: QueueUrl!, table };
    };

    const counts = async (queueUrl: string): Promise<{ visible: number; hidden: number }> => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return {
        visible: Number(Attributes.ApproximateNumberOfMessages),
        hidden: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
      };
    };

    /** Every visible message of a queue (each hidden afterwards). */
    const drain = async (queueUrl: string): Promise<Message[]> => {
      const messages: Message[] = [];
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 900 }),
        );
        if (Messages.length === 0) return messages;
        messages.push(...Messages);
      }
    };

    const peerItem = async (table: string, pk: string) =>
      (
        await replica.send(
          new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
        )
      ).Item;

    it('replays letters and deletes them, deletes stale ones, keeps (visible) those that fail again', async () => {
      // Prepare: 11 missing at the peer, one held newer there, one too large for DynamoDB, one sent twice.
      const { config, queueUrl, table } = await setUp();
      const missing = Array.from({ length: 11 }, (_, i) => letter(`missing-${i}`));
      const older = letter('older');
      const tooLarge = letter('big', { blob: { S: 'x'.repeat(410_000) } });
      const twice = letter('twice');
      const sink = new SqsDeadLetterSink({ client: sqs, queueUrl });
      await sink.send([...missing, older, tooLarge, twice]);
      await sink.send([twice]);
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'not a dead letter' }));
      const newer = encodeVersion({ physicalMs: 1_800_000_000_000, logical: 0, origin: SOURCE });
      await replica.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'older' }, note: { S: 'newer data' }, _ds_v: { S: newer } },
        }),
      );
      const lines: string[] = [];

      // Act
      const report = await redrive({
        config,
        region: SOURCE,
        source: 'sqs',
        sqsClient: sqs,
        logger: silentLogger,
        print: (line) => lines.push(line),
      });

      // Assess
      expect(report).toMatchObject({
        replayed: 12,
        stale: 1,
        failedAgain: 1,
        duplicates: 1,
        unreadable: 1,
        onFailureBatches: 0,
      });
      for (const pk of [...missing.map((_, i) => `missing-${i}`), 'twice'])
        expect((await peerItem(table, pk))?.note).toEqual({ S: 'from the dead-letter queue' });
      expect((await peerItem(table, 'older'))?.note).toEqual({ S: 'newer data' });
      expect(await peerItem(table, 'big')).toBeUndefined();
      // Left: the letter that failed again, whole, and the message that is no dead letter (reported
      // unreadable); both
      // visible again once the redrive is over.
      expect(await counts(queueUrl)).toEqual({ visible: 2, hidden: 0 });
      const left = (await drain(queueUrl)).map((message) => message.Body!);
      expect(left).toContain('not a dead letter');
      expect(decodeDeadLetter(left.find((body) => body !== 'not a dead letter')!)).toEqual(tooLarge);
      expect(report.entries.find((entry) => entry.id === tooLarge.id)).toMatchObject({
        outcome: 'failedAgain',
        code: ErrorCodes.replicator.itemTooLarge,
      });
      expect(lines.at(-1)).toBe(
        'redrive: 12 replayed, 1 stale (targets already newer), 1 failed again, 1 duplicate copies removed with them; not replayable: 1 unreadable, 0 Lambda on-failure batches',
      );
    });

    it('replays a kept letter in the next redrive once its cause is fixed, then the queue is empty', async () => {
      // Prepare: the peer table has the wrong key schema, so the write is refused (ValidationException).
      const { config, queueUrl, table } = await setUp('id');
      const kept = letter('later');
      await new SqsDeadLetterSink({ client: sqs, queueUrl }).send([kept]);

      // Act 1
      const first = await redrive({
        config,
        region: SOURCE,
        source: 'sqs',
        sqsClient: sqs,
        logger: silentLogger,
      });

      // Assess 1
      expect(first).toMatchObject({ replayed: 0, failedAgain: 1 });
      expect(await counts(queueUrl)).toEqual({ visible: 1, hidden: 0 });

      // Act 2: the operator fixes the table and redrives again.
      await replica.send(new DeleteTableCommand({ TableName: table }));
      await waitUntilTableNotExists({ client: replica, maxWaitTime: 60 }, { TableName: table });
      await peerTable(table);
      const second = await redrive({
        config,
        region: SOURCE,
        source: 'sqs',
        sqsClient: sqs,
        logger: silentLogger,
      });

      // Assess 2
      expect(second).toMatchObject({ replayed: 1, stale: 0, failedAgain: 0 });
      expect((await peerItem(table, 'later'))?.note).toEqual({ S: 'from the dead-letter queue' });
      expect(await counts(queueUrl)).toEqual({ visible: 0, hidden: 0 });
    });

    it('a dry run writes and deletes nothing, and leaves every letter visible for the redrive that follows', async () => {
      const { config, queueUrl, table } = await setUp();
      const letters = [letter('a'), letter('b')];
      await new SqsDeadLetterSink({ client: sqs, queueUrl }).send(letters);

      const dry = await redrive({
        config,
        region: SOURCE,
        source: 'sqs',
        sqsClient: sqs,
        logger: silentLogger,
        dryRun: true,
      });

      expect(dry.entries.map((entry) => entry.outcome)).toEqual(['wouldApply', 'wouldApply']);
      expect(await peerItem(table, 'a')).toBeUndefined();
      expect(await counts(queueUrl)).toEqual({ visible: 2, hidden: 0 });

      const real = await redrive({
        config,
        region: SOURCE,
        source: 'sqs',
        sqsClient: sqs,
        logger: silentLogger,
      });

      expect(real).toMatchObject({ replayed: 2, failedAgain: 0 });
      expect(await counts(queueUrl)).toEqual({ visible: 0, hidden: 0 });
    });
  },
);
