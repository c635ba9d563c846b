import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../core/errors.js';
import type { DeadLetter } from '../../../replicator/deadLetter/types.js';
import { SqsDeadLetterSource } from '../../../replicator/redrive/SqsDeadLetterSource.js';
import { streamRecord } from '../../helpers/factories.js';

/** What close() does with the messages a redrive received (the wire-level test is redriveSqs.integration.test.ts). */

const sqs = mockClient(SQSClient);
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dynasync-dlq';
beforeEach(() => sqs.reset());

const letter = (): DeadLetter => ({
  id: randomUUID(),
  kind: 'streamRecord',
  record: streamRecord({ newImage: { pk: { S: randomUUID() } } }),
  sourceRegion: 'eu-west-1',
  targetRegions: ['us-east-1'],
  error: { code: ErrorCodes.replicator.writeRejected, message: 'rejected' },
  attempts: 1,
  firstFailureAt: '2026-11-20T10:00:00.000Z',
  lastFailureAt: '2026-11-20T10:00:00.000Z',
  configVersion: 'abc',
});

const released = () =>
  sqs
    .commandCalls(ChangeMessageVisibilityBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => {
      expect(entry.VisibilityTimeout).toBe(0);
      return entry.ReceiptHandle;
    });

describe('SqsDeadLetterSource.close', () => {
  it('makes every message it did not delete visible again: kept letters, their copies, foreign messages', async () => {
    // Prepare
    const [replayed, kept] = [letter(), letter()];
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { Body: JSON.stringify(replayed), ReceiptHandle: 'r-replayed' },
          { Body: JSON.stringify(kept), ReceiptHandle: 'r-kept' },
          { Body: 'not a dead letter', ReceiptHandle: 'r-foreign' },
        ],
      })
      .resolvesOnce({ Messages: [{ Body: JSON.stringify(kept), ReceiptHandle: 'r-kept-copy' }] })
      .resolves({ Messages: [] });
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    const source = new SqsDeadLetterSource({ client: new SQSClient({}), queueUrl: QUEUE });
    for await (const batch of source.receive()) {
      for (const received of batch) {
        if (received.id === replayed.id) await source.remove(received);
        else await source.keep();
      }
    }

    // Act
    await source.close();

    // Assess
    expect(released().sort()).toEqual(['r-foreign', 'r-kept', 'r-kept-copy']);
    expect(sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle)).toEqual([
      'r-replayed',
    ]);
  });

  it('releases at most 10 messages per call, and none twice', async () => {
    const letters = Array.from({ length: 23 }, letter);
    const pages = [letters.slice(0, 10), letters.slice(10, 20), letters.slice(20)];
    let receive = sqs.on(ReceiveMessageCommand);
    for (const page of pages)
      receive = receive.resolvesOnce({
        Messages: page.map((entry) => ({ Body: JSON.stringify(entry), ReceiptHandle: `r-${entry.id}` })),
      });
    receive.resolves({ Messages: [] });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    const source = new SqsDeadLetterSource({ client: new SQSClient({}), queueUrl: QUEUE });
    for await (const _batch of source.receive()) {
      // A dry run: nothing removed.
    }

    await source.close();
    await source.close();

    const calls = sqs.commandCalls(ChangeMessageVisibilityBatchCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(new Set(released())).toEqual(new Set(letters.map((entry) => `r-${entry.id}`)));
    expect(calls.every((call) => call.args[0].input.QueueUrl === QUEUE)).toBe(true);
  });

  it('still closes when SQS cannot release them (they reappear after their visibility timeout)', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ Body: JSON.stringify(letter()), ReceiptHandle: 'r1' }] })
      .resolves({ Messages: [] });
    sqs.on(ChangeMessageVisibilityBatchCommand).rejects(new Error('socket hang up'));
    const source = new SqsDeadLetterSource({ client: new SQSClient({}), queueUrl: QUEUE });
    for await (const _batch of source.receive()) {
      // Nothing removed.
    }

    await expect(source.close()).resolves.toBeUndefined();
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)).toHaveLength(1);
  });
});
