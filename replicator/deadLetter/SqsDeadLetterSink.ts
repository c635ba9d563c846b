import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { sleep } from '../../core/async/sleep.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { backoffDelay } from '../classifyError.js';
import {
  type DeadLetterEncoding,
  DeadLetterEncodings,
  encodeDeadLetter,
  SQS_MAX_MESSAGE_BYTES,
} from './encodeDeadLetter.js';
import type { DeadLetter, DeadLetterSink } from './types.js';

/** Options of {@link SqsDeadLetterSink}. */
export interface SqsDeadLetterSinkOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** Largest message, body and attributes together (as SQS counts it). @default 262144 (256 KiB) */
  readonly maxMessageBytes?: number;
  /**
   * Where a letter goes whole when even compressed it is too large for a message (the queue then
   * gets the letter without its record). @default none: only the metric, the log line and the stub
   */
  readonly overflow?: DeadLetterSink;
  /** Called for every letter whose record did not fit into a message (metrics, logs). */
  readonly onOversize?: (letter: DeadLetter) => void;
  /** Attempts of a batch send (partial failures are resent). @default 5 */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const MAX_BATCH_ENTRIES = 10;

/** The longest value of the `dynasync-encoding` attribute: what a letter's attributes are sized with. */
const LONGEST_ENCODING = Object.values(DeadLetterEncodings).reduce((a, b) => (b.length > a.length ? b : a));

type Attributes = NonNullable<SendMessageBatchRequestEntry['MessageAttributes']>;

const attributesOf = (letter: DeadLetter, encoding: string): Attributes => ({
  'dynasync-code': { DataType: 'String', StringValue: letter.error.code },
  'dynasync-encoding': { DataType: 'String', StringValue: encoding },
  'dynasync-source-region': { DataType: 'String', StringValue: letter.sourceRegion },
});

/** What SQS counts of message attributes against the message size limit: each name, type and value. */
export const attributeBytes = (attributes: Attributes): number =>
  Object.entries(attributes).reduce(
    (sum, [name, value]) =>
      sum +
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? '') +
      Buffer.byteLength(value.StringValue ?? ''),
    0,
  );

interface Encoded {
  readonly letter: DeadLetter;
  readonly entry: SendMessageBatchRequestEntry;
  readonly bytes: number;
}

/**
 * The dead-letter queue on SQS: each message carries one whole dead letter (see
 * {@link encodeDeadLetter} for records too large for a message); body and attributes together stay
 * within `maxMessageBytes`, as SQS counts them. Letters are sent in batches of up
 * to 10 messages and 256 KiB; entries a batch fails are resent with backoff; `send` resolves only when
 * every letter is stored, and rejects otherwise (the records then stay on the stream).
 */
export class SqsDeadLetterSink implements DeadLetterSink {
  private readonly sleep: (ms: number) => Promise<void>;

  public constructor(private readonly options: SqsDeadLetterSinkOptions) {
    this.sleep = options.sleep ?? sleep;
  }

  public async send(letters: readonly DeadLetter[]): Promise<void> {
    const maxBytes = this.options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES;
    const encoded: Encoded[] = [];
    const overflow: DeadLetter[] = [];
    letters.forEach((letter, index) => {
      // SQS counts the attributes against the size limit too: the body gets what they leave.
      const reserved = attributeBytes(attributesOf(letter, LONGEST_ENCODING));
      const { body, encoding } = encodeDeadLetter(letter, maxBytes - reserved);
      if (encoding === DeadLetterEncodings.omitted) {
        overflow.push(letter);
        this.options.onOversize?.(letter);
      }
      const entry = this.entry(index, body, letter, encoding);
      encoded.push({
        letter,
        entry,
        bytes: Buffer.byteLength(body) + attributeBytes(entry.MessageAttributes ?? {}),
      });
    });
    if (overflow.length > 0 && this.options.overflow !== undefined)
      await this.options.overflow.send(overflow);
    for (const batch of this.batches(encoded, maxBytes)) await this.sendBatch(batch);
  }

  private entry(
    index: number,
    body: string,
    letter: DeadLetter,
    encoding: DeadLetterEncoding,
  ): SendMessageBatchRequestEntry {
    return {
      Id: `m${index}`,
      MessageBody: body,
      MessageAttributes: attributesOf(letter, encoding),
    };
  }

  /** Groups messages into batches within SQS's limits (10 entries, total size with attributes within one message's limit). */
  private *batches(encoded: readonly Encoded[], maxBytes: number): Generator<Encoded[]> {
    let batch: Encoded[] = [];
    let bytes = 0;
    for (const item of encoded) {
      if (batch.length === MAX_BATCH_ENTRIES || (batch.length > 0 && bytes + item.bytes > maxBytes)) {
        yield batch;
        batch = [];
        bytes = 0;
      }
      batch.push(item);
      bytes += item.bytes;
    }
    if (batch.length > 0) yield batch;
  }

  private async sendBatch(batch: readonly Encoded[]): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    let pending = batch.map((item) => item.entry);
    let lastFailure = '';
    let lastError: unknown;
    let lastCodes: string[] = [];
    for (let attempt = 0; attempt < maxAttempts && pending.length > 0; attempt += 1) {
      if (attempt > 0) await this.sleep(backoffDelay(attempt, 100, 5_000));
      try {
        const result = await this.options.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: pending }),
        );
        const failed = new Set((result.Failed ?? []).map((failure) => failure.Id));
        const permanent = (result.Failed ?? []).filter((failure) => failure.SenderFault === true);
        if (permanent.length > 0) {
          throw new DynasyncError(
            ErrorCodes.replicator.deadLetterFailed,
            `SQS refused ${permanent.length} dead letter(s) (${permanent.map((failure) => failure.Code).join(', ')}); the records stay on the stream`,
            { payload: { queueUrl: this.options.queueUrl, codes: permanent.map((failure) => failure.Code) } },
          );
        }
        lastCodes = (result.Failed ?? []).map((failure) => failure.Code ?? 'unknown');
        lastFailure = lastCodes.join(', ');
        lastError = undefined;
        pending = pending.filter((entry) => failed.has(entry.Id));
      } catch (error) {
        if (error instanceof DynasyncError) throw error;
        lastError = error;
        lastCodes = [];
        lastFailure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
    if (pending.length > 0) {
      throw new DynasyncError(
        ErrorCodes.replicator.deadLetterFailed,
        `could not store ${pending.length} dead letter(s) in SQS after ${maxAttempts} attempts (${lastFailure}); the records stay on the stream`,
        {
          payload: {
            queueUrl: this.options.queueUrl,
            pending: pending.length,
            codes: lastCodes,
          },
          ...(lastError === undefined ? {} : { cause: lastError }),
        },
      );
    }
  }
}
