import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../core/errors.js';
import { decodeDeadLetter } from '../../../replicator/deadLetter/encodeDeadLetter.js';
import { attributeBytes, SqsDeadLetterSink } from '../../../replicator/deadLetter/SqsDeadLetterSink.js';
import type { DeadLetter } from '../../../replicator/deadLetter/types.js';
import { streamRecord } from '../../helpers/factories.js';

/** Message sizes as SQS counts them (body + attribute names, types and values); the wire-level test is SqsDeadLetterSink.integration.test.ts. */

const sqs = mockClient(SQSClient);
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dynasync-dlq';
beforeEach(() => sqs.reset());

const MAX = 4_096;

/** A letter whose JSON is exactly `bytes` long (compressible padding). */
const letterOf = (bytes: number): DeadLetter => {
  const base: DeadLetter = {
    id: randomUUID(),
    kind: 'streamRecord',
    record: streamRecord({ newImage: { pk: { S: randomUUID() }, blob: { S: '' } } }),
    sourceRegion: 'eu-west-1',
    targetRegions: ['us-east-1'],
    error: { code: ErrorCodes.replicator.writeRejected, message: 'rejected' },
    attempts: 1,
    firstFailureAt: '2026-11-20T10:00:00.000Z',
    lastFailureAt: '2026-11-20T10:00:00.000Z',
    configVersion: 'abc',
  };
  const pad = bytes - Buffer.byteLength(JSON.stringify(base));
  const blob = 'abcdefghij'.repeat(Math.ceil(pad / 10)).slice(0, pad);
  const letter = {
    ...base,
    record: {
      ...base.record,
      dynamodb: {
        ...base.record.dynamodb,
        NewImage: { pk: base.record.dynamodb!.NewImage!.pk!, blob: { S: blob } },
      },
    },
  };
  expect(Buffer.byteLength(JSON.stringify(letter))).toBe(bytes);
  return letter;
};

describe('SqsDeadLetterSink message sizes', () => {
  it('keeps each message, body and attributes together, and each batch within maxMessageBytes', async () => {
    // Law: for letters on both sides of the limit, every message and every batch fits, and decodes whole.
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const letters = [1, 40, 90, 120, 200, 400, 1_500].map((under) => letterOf(MAX - under));

    await new SqsDeadLetterSink({ client: new SQSClient({}), queueUrl: QUEUE, maxMessageBytes: MAX }).send(
      letters,
    );

    const batches = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries ?? []);
    const size = (entry: (typeof batches)[number][number]) =>
      Buffer.byteLength(entry.MessageBody!) + attributeBytes(entry.MessageAttributes ?? {});
    for (const batch of batches)
      expect(batch.reduce((sum, entry) => sum + size(entry), 0)).toBeLessThanOrEqual(MAX);
    const entries = batches.flat();
    for (const entry of entries) expect(size(entry)).toBeLessThanOrEqual(MAX);
    expect(entries.map((entry) => decodeDeadLetter(entry.MessageBody!))).toEqual(letters);
  });

  it('counts an attribute as SQS does: the bytes of its name, type and value', () => {
    expect(attributeBytes({ 'dynasync-code': { DataType: 'String', StringValue: 'é' } })).toBe(13 + 6 + 2);
  });
});
