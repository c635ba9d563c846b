import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { readStoredMessage } from './readStoredMessage.js';
import type { DeadLetterSource, OnFailureBatch, StoredDeadLetter, UnreadableMessage } from './types.js';

/** Options of {@link SqsDeadLetterSource}. */
export interface SqsDeadLetterSourceOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /**
   * How long a received letter stays hidden from other consumers while the redrive runs. Longer
   * than the redrive, so a letter that fails again is not received twice in one run; `close()`
   * makes every message not removed visible again. @default 900
   */
  readonly visibilityTimeoutSeconds?: number;
}

/**
 * Reads an SQS dead-letter queue for a redrive: receives until the queue answers empty, deletes a
 * message only once its letter was replayed, and leaves a letter that failed again in the queue.
 * Messages that hold no dynasync dead letter are reported (`notReplayable`) and left in the queue.
 * When the redrive ends (`close()`), every message it received and did not delete — letters that
 * failed again, a dry run's letters, messages that are no letter — is made visible again at once, not
 * only when its visibility timeout ends, so the next redrive (after a dry run, or a fix) sees it and
 * the queue-depth alarm counts it.
 *
 * ```
 * receive (hidden 900 s) ──► replayed/stale ──► DeleteMessage
 *                        └─► failed again / dry run / not a letter ──► close(): visibility 0
 * ```
 */
export class SqsDeadLetterSource implements DeadLetterSource {
  /** Receipt handles per letter id: a letter may sit in the queue twice (a batch redelivered after a crash). */
  private readonly receipts = new Map<string, string[]>();
  private readonly removed = new Set<string>();
  /** Receipt handles of messages that hold no dynasync dead letter: released on close. */
  private readonly foreign: string[] = [];
  /** Messages that repeated a letter already received; deleted together with it. */
  public duplicates = 0;
  public readonly notReplayable: Array<OnFailureBatch | UnreadableMessage> = [];
  /** Messages already reported: one left in the queue is received again after its visibility timeout. */
  private readonly reported = new Set<string>();

  public constructor(private readonly options: SqsDeadLetterSourceOptions) {}

  public async *receive(): AsyncIterable<readonly StoredDeadLetter[]> {
    for (;;) {
      const { Messages = [] } = await this.options.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: this.options.visibilityTimeoutSeconds ?? 900,
        }),
      );
      if (Messages.length === 0) return;
      const batch: StoredDeadLetter[] = [];
      for (const message of Messages) {
        if (message.ReceiptHandle === undefined) continue;
        const where = `message ${message.MessageId ?? '?'}`;
        const read =
          message.Body === undefined
            ? ({ kind: 'unreadable', where, reason: 'an empty message' } as const)
            : readStoredMessage(message.Body, where);
        if (read.kind !== 'letter') {
          this.foreign.push(message.ReceiptHandle);
          if (!this.reported.has(where)) this.notReplayable.push(read);
          this.reported.add(where);
          continue;
        }
        const { letter } = read;
        const receipts = this.receipts.get(letter.id);
        if (this.removed.has(letter.id)) {
          this.duplicates += 1;
          await this.delete(message.ReceiptHandle);
          continue;
        }
        if (receipts !== undefined) {
          this.duplicates += 1;
          receipts.push(message.ReceiptHandle);
          continue;
        }
        this.receipts.set(letter.id, [message.ReceiptHandle]);
        batch.push(letter);
      }
      if (batch.length > 0) yield batch;
    }
  }

  public async remove(letter: StoredDeadLetter): Promise<void> {
    for (const receipt of this.receipts.get(letter.id) ?? []) await this.delete(receipt);
    this.receipts.delete(letter.id);
    this.removed.add(letter.id);
  }

  private async delete(receipt: string): Promise<void> {
    await this.options.client.send(
      new DeleteMessageCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: receipt }),
    );
  }

  public async keep(): Promise<void> {
    // The message reappears when its visibility timeout ends; SQS messages cannot be edited.
  }

  /**
   * Makes every received message that was not removed visible again (ChangeMessageVisibilityBatch,
   * timeout 0). Best effort: a message this fails for reappears when its visibility timeout ends.
   */
  public async close(): Promise<void> {
    const held = [...[...this.receipts.values()].flat(), ...this.foreign];
    this.receipts.clear();
    this.foreign.length = 0;
    for (let start = 0; start < held.length; start += 10) {
      const entries = held
        .slice(start, start + 10)
        .map((receipt, index) => ({ Id: `r${index}`, ReceiptHandle: receipt, VisibilityTimeout: 0 }));
      try {
        await this.options.client.send(
          new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries }),
        );
      } catch {
        // The messages reappear when their visibility timeout ends; nothing is lost.
      }
    }
  }
}
