import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { openPrivate } from '../../core/privateFile.js';
import type { DeadLetter, DeadLetterSink } from './types.js';

/**
 * A dead-letter sink that appends one JSON line per entry to a local file, for `run`, `demo` and
 * tests. Each `send` is one append followed by fsync; a line torn by a crash is left behind (readers
 * skip it) and the next append starts on a new line.
 */
export class FileDeadLetterSink implements DeadLetterSink {
  public constructor(public readonly path: string) {}

  public async send(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    await mkdir(dirname(this.path), { recursive: true });
    // Mode 0600: letters hold records, or positions and keys of masked peers' records.
    const file = await openPrivate(this.path, 'a+');
    try {
      // A crash in the middle of an earlier append can leave a torn last line: start on a new line.
      const { size } = await file.stat();
      const last = Buffer.alloc(1);
      const torn = size > 0 && (await file.read(last, 0, 1, size - 1)).bytesRead === 1 && last[0] !== 0x0a;
      await file.appendFile(
        (torn ? '\n' : '') + entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''),
        'utf8',
      );
      await file.sync();
    } finally {
      await file.close();
    }
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
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as DeadLetter];
        } catch {
          return []; // a line torn by a crash mid-append
        }
      });
  }
}
