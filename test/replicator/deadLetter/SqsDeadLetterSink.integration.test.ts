import { randomBytes, randomUUID } from 'node:crypto';
import { CreateQueueCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../core/errors.js';
import { decodeDeadLetter, SQS_MAX_MESSAGE_BYTES } from '../../../replicator/deadLetter/encodeDeadLetter.js';
import { SqsDeadLetterSink } from '../../../replicator/deadLetter/SqsDeadLetterSink.js';
import type { DeadLetter } from '../../../replicator/deadLetter/types.js';
import { MemoryDeadLetterSink, streamRecord } from '../../helpers/factories.js';
import {
  type MotoServer,
  motoAvailableOrWarn,
  motoClientConfig,
  startMoto,
} from '../../helpers/motoServer.js';

/**
 * The SQS dead-letter sink against a real SQS wire protocol (moto_server): what the queue holds
 * afterwards is read back with ReceiveMessage, not taken from a mock's call log.
 */

const letter = (bytes = 100, compressible = true): DeadLetter => ({
  id: randomUUID(),
  kind: 'streamRecord',
  record: streamRecord({
    newImage: {
      pk: { S: randomUUID() },
      amount: { N: '12345678901234567890.123456789012345678' },
      blob: {
        S: compressible
          ? 'abcdefghij'.repeat(Math.ceil(bytes / 10))
          : randomBytes(Math.ceil(bytes * 0.75)).toString('base64'),
      },
    },
  }),
  sourceRegion: 'eu-west-1',
  targetRegions: ['us-east-1'],
  error: {
    code: ErrorCodes.replicator.writeRejected,
    message: 'peer rejected the write (ValidationException)',
  },
  attempts: 3,
  firstFailureAt: '2026-11-20T10:00:00.000Z',
  lastFailureAt: '2026-11-20T10:00:01.000Z',
  configVersion: 'abc',
});

const noSleep = async () => undefined;

const available = motoAvailableOrWarn();

describe.skipIf(!available)('SqsDeadLetterSink on moto_server', () => {
  let moto: MotoServer;
  let sqs: SQSClient;

  beforeAll(async () => {
    moto = await startMoto();
    console.info(`moto_server answered after ${moto.startAttempts} GET(s), ${moto.startupMs} ms`);
    sqs = new SQSClient(motoClientConfig(moto));
  });
  afterAll(async () => {
    sqs?.destroy();
    await moto?.stop();
  });

  /** A fresh queue with classic SQS's 256 KiB message limit, the sink's default. */
  const queue = async (maximumMessageSize = SQS_MAX_MESSAGE_BYTES): Promise<string> => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: `dlq-${randomUUID().slice(0, 8)}`,
        Attributes: { MaximumMessageSize: String(maximumMessageSize) },
      }),
    );
    return QueueUrl!;
  };

  /** Every message of a queue: receives until an answer is empty, hiding each message received. */
  const drain = async (queueUrl: string): Promise<Message[]> => {
    const messages: Message[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 900,
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) return messages;
      messages.push(...Messages);
    }
  };

  const byId = (letters: readonly DeadLetter[]) => [...letters].sort((a, b) => a.id.localeCompare(b.id));
  const attribute = (message: Message, name: string) => message.MessageAttributes?.[name]?.StringValue;

  it('stores every letter whole, one per message, with its code, encoding and source region', async () => {
    // Prepare
    const queueUrl = await queue();
    const letters = Array.from({ length: 23 }, () => letter());

    // Act
    await new SqsDeadLetterSink({ client: sqs, queueUrl }).send(letters);

    // Assess
    const messages = await drain(queueUrl);
    expect(messages).toHaveLength(23);
    expect(byId(messages.map((message) => decodeDeadLetter(message.Body!)))).toEqual(byId(letters));
    for (const message of messages) {
      expect(attribute(message, 'dynasync-code')).toBe(ErrorCodes.replicator.writeRejected);
      expect(attribute(message, 'dynasync-encoding')).toBe('json');
      expect(attribute(message, 'dynasync-source-region')).toBe('eu-west-1');
    }
    // The 38-digit number is the exact text DynamoDB sent, not a JS number.
    expect(decodeDeadLetter(messages[0]!.Body!).record.dynamodb?.NewImage?.amount).toEqual({
      N: '12345678901234567890.123456789012345678',
    });
  });

  it('compresses a letter too large as JSON, and the queue gives back the whole letter', async () => {
    const queueUrl = await queue();
    const large = letter(400_000);
    const small = letter();

    await new SqsDeadLetterSink({ client: sqs, queueUrl }).send([small, large]);

    const messages = await drain(queueUrl);
    const encodings = Object.fromEntries(
      messages.map((message) => [
        decodeDeadLetter(message.Body!).id,
        attribute(message, 'dynasync-encoding'),
      ]),
    );
    expect(encodings).toEqual({ [large.id]: 'gzip', [small.id]: 'json' });
    expect(byId(messages.map((message) => decodeDeadLetter(message.Body!)))).toEqual(byId([small, large]));
  });

  it('keeps a letter too large even compressed whole in the overflow sink, and its stub in the queue', async () => {
    const queueUrl = await queue();
    const huge = letter(400_000, false);
    const overflow = new MemoryDeadLetterSink();
    const oversize: string[] = [];

    await new SqsDeadLetterSink({
      client: sqs,
      queueUrl,
      overflow,
      onOversize: (entry) => oversize.push(entry.id),
    }).send([huge]);

    expect(overflow.entries).toEqual([huge]);
    expect(oversize).toEqual([huge.id]);
    const [message, ...rest] = await drain(queueUrl);
    expect(rest).toEqual([]);
    expect(attribute(message!, 'dynasync-encoding')).toBe('omitted');
    const stub = decodeDeadLetter(message!.Body!);
    expect(stub).toMatchObject({ id: huge.id, error: huge.error, recordOmitted: { reason: 'tooLarge' } });
    expect(stub.record.dynamodb?.Keys).toEqual(huge.record.dynamodb?.Keys);
    expect(stub.record.dynamodb?.NewImage).toBeUndefined();
  });

  it('splits letters near the size limit into batches SQS accepts (total body size), and all arrive', async () => {
    // Six ~200 KB letters: one batch of all of them (~1.2 MB) would exceed even a 1 MiB batch limit.
    const queueUrl = await queue();
    const letters = Array.from({ length: 6 }, () => letter(200_000, false));

    await new SqsDeadLetterSink({ client: sqs, queueUrl }).send(letters);

    const messages = await drain(queueUrl);
    expect(messages.map((message) => attribute(message, 'dynasync-encoding'))).toEqual(Array(6).fill('json'));
    expect(byId(messages.map((message) => decodeDeadLetter(message.Body!)))).toEqual(byId(letters));
  });

  it('keeps body and attributes together within the limit, as SQS counts a message (a letter just under it as JSON)', async () => {
    // Prepare: a letter whose JSON alone is 40 bytes under 256 KiB; its attributes take ~110 more.
    const queueUrl = await queue();
    const base = letter(0);
    const pad = SQS_MAX_MESSAGE_BYTES - 40 - Buffer.byteLength(JSON.stringify(base));
    const nearLimit: DeadLetter = {
      ...base,
      record: {
        ...base.record,
        dynamodb: {
          ...base.record.dynamodb,
          NewImage: {
            ...base.record.dynamodb!.NewImage!,
            blob: { S: 'abcdefghij'.repeat(pad / 10 + 1).slice(0, pad) },
          },
        },
      },
    };
    expect(Buffer.byteLength(JSON.stringify(nearLimit))).toBe(SQS_MAX_MESSAGE_BYTES - 40);

    // Act
    await new SqsDeadLetterSink({ client: sqs, queueUrl }).send([nearLimit]);

    // Assess: what the queue holds, measured the way SQS measures it.
    const [message] = await drain(queueUrl);
    const attributes = Object.entries(message!.MessageAttributes ?? {}).reduce(
      (sum, [name, value]) =>
        sum +
        Buffer.byteLength(name) +
        Buffer.byteLength(value.DataType!) +
        Buffer.byteLength(value.StringValue!),
      0,
    );
    expect(Buffer.byteLength(message!.Body!) + attributes).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
    expect(attribute(message!, 'dynasync-encoding')).toBe('gzip');
    expect(decodeDeadLetter(message!.Body!)).toEqual(nearLimit);
  });

  it('rejects with replicator.deadLetterFailed when SQS refuses the messages (the records stay on the stream)', async () => {
    // A queue whose limit is below the sink's: SQS refuses the batch.
    const queueUrl = await queue(1_024);

    await expect(
      new SqsDeadLetterSink({ client: sqs, queueUrl, sleep: noSleep }).send([letter(5_000, false)]),
    ).rejects.toMatchObject({ code: ErrorCodes.replicator.deadLetterFailed });
    expect(await drain(queueUrl)).toEqual([]);
  });

  it('rejects with replicator.deadLetterFailed when the queue does not exist', async () => {
    const queueUrl = `${moto.endpoint}/123456789012/no-such-queue-${randomUUID().slice(0, 8)}`;

    await expect(
      new SqsDeadLetterSink({ client: sqs, queueUrl, sleep: noSleep }).send([letter()]),
    ).rejects.toMatchObject({ code: ErrorCodes.replicator.deadLetterFailed });
  });
});
