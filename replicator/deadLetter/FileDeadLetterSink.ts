import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DeadLetter, DeadLetterSink } from './types.js';

/**
 * A dead-letter sink that appends one JSON line per entry to a local file, for `run`, `demo` and
 * tests. Each `send` is a single append, so a crash leaves whole lines.
 */
export class FileDeadLetterSink implements DeadLetterSink {
  public constructor(public readonly path: string) {}

  public async send(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''), {
      encoding: 'utf8',
      flush: true,
    });
  }

  /** Reads every entry back (missing file: none). */
  public async readAll(): Promise<DeadLetter[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as DeadLetter);
  }
}
