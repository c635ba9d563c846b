import { randomBytes, randomUUID } from 'node:crypto';
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../core/errors.js';
import { errorFacts } from '../../../replicator/_internals/errorFacts.js';
import { decodeDeadLetter, encodeDeadLetter } from '../../../replicator/deadLetter/encodeDeadLetter.js';
import { SqsDeadLetterSink } from '../../../replicator/deadLetter/SqsDeadLetterSink.js';
import type { DeadLetter } from '../../../replicator/deadLetter/types.js';
import { SqsDeadLetterSource } from '../../../replicator/redrive/SqsDeadLetterSource.js';
import { MemoryDeadLetterSink, streamRecord } from '../../helpers/factories.js';

const sqs = mockClient(SQSClient);
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dynasync-dlq';
beforeEach(() => sqs.reset());

const letter = (bytes = 100, compressible = true): DeadLetter => ({
  id: randomUUID(),
  kind: 'streamRecord',
  record: streamRecord({
    newImage: {
      pk: { S: randomUUID() },
      blob: {
        S: compressible
          ? 'abcdefghij'.repeat(Math.ceil(bytes / 10))
          : randomBytes(Math.ceil(bytes * 0.75)).toString('base64'),
      },
    },
  }),
  sourceRegion: 'eu-west-1',
  targetRegions: ['us-east-1'],
  error: { code: ErrorCodes.replicator.writeRejected, message: 'rejected' },
  attempts: 1,
  firstFailureAt: '2026-11-20T10:00:00.000Z',
  lastFailureAt: '2026-11-20T10:00:00.000Z',
  configVersion: 'abc',
});

const noSleep = async () => undefined;

describe('encodeDeadLetter', () => {
  it('keeps a letter as JSON when it fits, gzips when it does not, and round-trips both', () => {
    const small = letter(100);
    const large = letter(400_000);

    const a = encodeDeadLetter(small);
    const b = encodeDeadLetter(large);

    expect(a.encoding).toBe('json');
    expect(b.encoding).toBe('gzip');
    expect(Buffer.byteLength(b.body)).toBeLessThanOrEqual(256 * 1024);
    expect(decodeDeadLetter(a.body)).toEqual(small);
    expect(decodeDeadLetter(b.body)).toEqual(large);
  });

  it('leaves out the record, never the letter, when even compressed it is too large', () => {
    const huge = letter(3_000, false);
    const { body, encoding } = encodeDeadLetter(huge, 1_024);
    const stub = decodeDeadLetter(body);

    expect(encoding).toBe('omitted');
    expect(stub.recordOmitted?.reason).toBe('tooLarge');
    expect(stub.record.dynamodb?.Keys).toEqual(huge.record.dynamodb?.Keys);
    expect(stub.error).toEqual(huge.error);
  });
});

describe('SqsDeadLetterSink (aws-sdk-client-mock)', () => {
  it('sends batches of at most 10 messages, each a whole letter', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const letters = Array.from({ length: 23 }, () => letter());

    await new SqsDeadLetterSink({ client: new SQSClient({}), queueUrl: QUEUE }).send(letters);

    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    const sent = calls
      .flatMap((call) => call.args[0].input.Entries ?? [])
      .map((entry) => decodeDeadLetter(entry.MessageBody!));
    expect(sent).toEqual(letters);
    expect(calls[0]?.args[0].input.QueueUrl).toBe(QUEUE);
  });

  it('resends only the entries a batch failed, until they are stored', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: 'm1', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Failed: [] });

    await new SqsDeadLetterSink({ client: new SQSClient({}), queueUrl: QUEUE, sleep: noSleep }).send([
      letter(),
      letter(),
    ]);

    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((entry) => entry.Id)).toEqual(['m1']);
  });

  it('rejects (records stay on the stream) when SQS keeps failing or refuses a message', async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('socket hang up'));
    const failing = new SqsDeadLetterSink({
      client: new SQSClient({}),
      queueUrl: QUEUE,
      sleep: noSleep,
      maxAttempts: 3,
    });
    await expect(failing.send([letter()])).rejects.toMatchObject({
      code: ErrorCodes.replicator.deadLetterFailed,
    });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);

    sqs.reset();
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: 'm0', Code: 'InvalidMessageContents', SenderFault: true }] });
    await expect(
      new SqsDeadLetterSink({ client: new SQSClient({}), queueUrl: QUEUE, sleep: noSleep }).send([letter()]),
    ).rejects.toMatchObject({
      code: ErrorCodes.replicator.deadLetterFailed,
    });
  });

  it('keeps the real cause of a queue that stays unreachable, for the log line to name', async () => {
    // Prepare: every send is refused with AccessDenied (403).
    const denied = Object.assign(
      new Error('User arn:aws:sts::123456789012:assumed-role/x is not authorized'),
      {
        name: 'AccessDenied',
        Code: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      },
    );
    sqs.on(SendMessageBatchCommand).rejects(denied);
    const sink = new SqsDeadLetterSink({
      client: new SQSClient({}),
      queueUrl: QUEUE,
      sleep: noSleep,
      maxAttempts: 2,
    });

    // Act
    const error = await sink.send([letter()]).then(
      () => undefined,
      (failure: unknown) => failure,
    );

    // Assess
    expect(error).toMatchObject({ code: ErrorCodes.replicator.deadLetterFailed });
    expect((error as Error).cause).toBe(denied);
    expect(errorFacts(error)).toMatchObject({
      errorName: 'DynasyncError',
      causeName: 'AccessDenied',
      causeCode: 'AccessDenied',
      causeHttpStatusCode: 403,
    });
  });

  it('names the per-entry codes SQS kept failing with', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: 'm0', Code: 'InternalError', SenderFault: false }] });
    const sink = new SqsDeadLetterSink({
      client: new SQSClient({}),
      queueUrl: QUEUE,
      sleep: noSleep,
      maxAttempts: 2,
    });

    const error = await sink.send([letter()]).then(
      () => undefined,
      (failure: unknown) => failure,
    );

    expect(errorFacts(error)).toMatchObject({ errorName: 'DynasyncError', failureCodes: ['InternalError'] });
  });

  it('keeps an oversize letter whole in the overflow sink, reports it, and still queues its stub', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const overflow = new MemoryDeadLetterSink();
    const oversize: DeadLetter[] = [];
    const huge = letter(3_000, false);

    await new SqsDeadLetterSink({
      client: new SQSClient({}),
      queueUrl: QUEUE,
      maxMessageBytes: 1_024,
      overflow,
      onOversize: (l) => oversize.push(l),
    }).send([huge]);

    expect(overflow.entries).toEqual([huge]);
    expect(oversize).toEqual([huge]);
    const [entry] = sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? [];
    expect(decodeDeadLetter(entry!.MessageBody!).recordOmitted?.reason).toBe('tooLarge');
    expect(entry?.MessageAttributes?.['dynasync-encoding']?.StringValue).toBe('omitted');
  });
});

describe('SqsDeadLetterSource (aws-sdk-client-mock)', () => {
  it('receives until the queue is empty and deletes only what it is told to remove', async () => {
    const [a, b] = [letter(), letter()];
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { Body: JSON.stringify(a), ReceiptHandle: 'ra' },
          { Body: 'junk', ReceiptHandle: 'rj' },
        ],
      })
      .resolvesOnce({ Messages: [{ Body: encodeDeadLetter(b).body, ReceiptHandle: 'rb' }] })
      .resolves({ Messages: [] });
    sqs.on(DeleteMessageCommand).resolves({});
    const source = new SqsDeadLetterSource({ client: new SQSClient({}), queueUrl: QUEUE });

    const received = [];
    for await (const batch of source.receive()) received.push(...batch);
    await source.remove(received[0]!);
    await source.keep();

    expect(received).toEqual([a, b]);
    expect(sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle)).toEqual([
      'ra',
    ]);
  });

  it('reports junk and Lambda on-failure records by message id, leaves them in the queue, and counts each once', async () => {
    const onFailure = {
      requestContext: { condition: 'RecordAgeExceeded', approximateInvokeCount: 1 },
      responseContext: { statusCode: 200 },
      version: '1.0',
      timestamp: '2026-11-20T10:00:05.000Z',
      DDBStreamBatchInfo: {
        shardId: 'shardId-1',
        startSequenceNumber: '100',
        endSequenceNumber: '140',
        batchSize: 5,
        streamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/x',
      },
    };
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { MessageId: 'm-junk', Body: 'junk', ReceiptHandle: 'rj' },
          { MessageId: 'm-fail', Body: JSON.stringify(onFailure), ReceiptHandle: 'rf' },
        ],
      })
      .resolvesOnce({ Messages: [{ MessageId: 'm-junk', Body: 'junk', ReceiptHandle: 'rj2' }] })
      .resolves({ Messages: [] });
    const source = new SqsDeadLetterSource({ client: new SQSClient({}), queueUrl: QUEUE });

    for await (const batch of source.receive()) expect(batch).toEqual([]);

    expect(source.notReplayable).toEqual([
      expect.objectContaining({ kind: 'unreadable', where: 'message m-junk' }),
      expect.objectContaining({
        kind: 'onFailureBatch',
        where: 'message m-fail',
        shardId: 'shardId-1',
        startSequenceNumber: '100',
        endSequenceNumber: '140',
        batchSize: 5,
        condition: 'RecordAgeExceeded',
      }),
    ]);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });
});
