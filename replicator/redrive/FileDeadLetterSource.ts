import { randomUUID } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import { writePrivateFile } from '../../core/privateFile.js';
import type { DeadLetter } from '../deadLetter/types.js';
import { readStoredMessage } from './readStoredMessage.js';
import type { DeadLetterSource, OnFailureBatch, StoredDeadLetter, UnreadableMessage } from './types.js';

const BATCH = 100;

/**
 * Reads a JSON-lines dead-letter file for a redrive, and on `close` rewrites it atomically with
 * only the letters that failed again (updated), the lines it could not read (kept as they are),
 * and any lines a running replicator appended meanwhile.
 */
export class FileDeadLetterSource implements DeadLetterSource {
  private lines: string[] = [];
  /** The letter id of each line; undefined for a line that holds no letter. */
  private ids: Array<string | undefined> = [];
  private readonly replaced = new Map<string, string | null>();
  private readCount = 0;
  /** Lines that repeated a letter already read; removed or updated together with it. */
  public duplicates = 0;
  public readonly notReplayable: Array<OnFailureBatch | UnreadableMessage> = [];

  public constructor(public readonly path: string) {}

  public async *receive(): AsyncIterable<readonly StoredDeadLetter[]> {
    this.lines = (await this.readLines()) ?? [];
    this.readCount = this.lines.length;
    this.ids = [];
    const seen = new Set<string>();
    let batch: StoredDeadLetter[] = [];
    for (const [index, line] of this.lines.entries()) {
      const read = readStoredMessage(line, `line ${index + 1}`);
      if (read.kind !== 'letter') {
        this.ids.push(undefined); // not a letter: reported, and kept in the file untouched
        this.notReplayable.push(read);
        continue;
      }
      const { letter } = read;
      this.ids.push(letter.id);
      if (seen.has(letter.id)) {
        this.duplicates += 1; // the same letter again (a batch redelivered after a crash): settled with the first
        continue;
      }
      seen.add(letter.id);
      batch.push(letter);
      if (batch.length === BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  public async remove(letter: StoredDeadLetter): Promise<void> {
    this.replaced.set(letter.id, null);
  }

  public async keep(letter: StoredDeadLetter, updated: DeadLetter): Promise<void> {
    this.replaced.set(letter.id, JSON.stringify(updated));
  }

  public async close(): Promise<void> {
    if (this.replaced.size === 0) return;
    const current = (await this.readLines()) ?? [];
    const appended = current.slice(this.readCount);
    const written = new Set<string>();
    const kept = this.lines.flatMap((line, index) => {
      const id = this.ids[index];
      if (id === undefined || !this.replaced.has(id)) return [line];
      const replacement = this.replaced.get(id);
      if (replacement === null || replacement === undefined || written.has(id)) return [];
      written.add(id);
      return [replacement];
    });
    const temp = `${this.path}.${randomUUID()}.tmp`;
    const text = [...kept, ...appended].map((line) => `${line}\n`).join('');
    await writePrivateFile(temp, text, { flush: true });
    await rename(temp, this.path);
  }

  private async readLines(): Promise<string[] | undefined> {
    try {
      return (await readFile(this.path, 'utf8')).split('\n').filter((line) => line.trim() !== '');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}
