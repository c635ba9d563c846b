import { createReadStream } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Buffered text per partition before it is appended to the partition's file. */
const FLUSH_BYTES = 32 * 1024;
/** Text handed to the disk but not yet written, beyond which {@link SpillFiles.flush} waits. */
const HIGH_WATER_BYTES = 8 * 1024 * 1024;

/**
 * Lines spilled to disk by partition: one append-only file per partition, with a small buffer
 * each. Memory is `partitions × 32 KiB` of buffers plus at most 8 MiB being written, whatever the
 * table size. {@link flush} is the back-pressure point: a scan awaits it after each page, and it
 * only waits when the disk falls behind.
 */
export class SpillFiles {
  /** Lines written per partition. */
  public readonly counts: number[];
  /** Bytes written in all. */
  public bytes = 0;
  /** Lines added since the last flush, per partition (they may share memory with a scan page). */
  private readonly fresh: string[][];
  /** Flat text chunks waiting to be written, per partition. */
  private readonly buffers: string[][];
  private readonly sizes: number[];
  private readonly handles: Array<FileHandle | undefined>;
  private readonly pending: Array<Promise<void>>;
  private readonly writing = new Set<Promise<void>>();
  private writingBytes = 0;
  private failure: unknown;

  private constructor(
    private readonly dir: string,
    private readonly name: string,
    public readonly partitions: number,
  ) {
    this.counts = new Array<number>(partitions).fill(0);
    this.fresh = Array.from({ length: partitions }, () => []);
    this.buffers = Array.from({ length: partitions }, () => []);
    this.sizes = new Array<number>(partitions).fill(0);
    this.handles = new Array<FileHandle | undefined>(partitions).fill(undefined);
    this.pending = Array.from({ length: partitions }, () => Promise.resolve());
  }

  /** Spill files `<dir>/<name>-<partition>.tsv`, created on first write. */
  public static create(dir: string, name: string, partitions: number): SpillFiles {
    return new SpillFiles(dir, name, partitions);
  }

  /** The file of a partition (it may not exist when nothing was written to it). */
  public path(partition: number): string {
    return SpillFiles.pathOf(this.dir, this.name, partition);
  }

  /** The file of partition `partition` of spill files `name` in `dir`. */
  public static pathOf(dir: string, name: string, partition: number): string {
    return join(dir, `${name}-${partition}.tsv`);
  }

  /** Adds a line (without its newline; it must contain none). */
  public add(partition: number, line: string): void {
    this.fresh[partition]!.push(line);
    this.sizes[partition]! += line.length + 1;
    this.counts[partition]! += 1;
  }

  /**
   * Starts appending the buffers that are full (all of them with `all`); waits only while more than
   * 8 MiB are being written (with `all`: until everything is written).
   * @throws the first write error.
   */
  public async flush(all = false): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    for (let partition = 0; partition < this.partitions; partition += 1) {
      // Joining copies the lines into one flat string: a line built from a scan page's strings
      // could otherwise keep the whole page alive until its partition is written.
      if (this.fresh[partition]!.length > 0) {
        this.buffers[partition]!.push(`${this.fresh[partition]!.join('\n')}\n`);
        this.fresh[partition] = [];
      }
      if (this.sizes[partition]! === 0 || (!all && this.sizes[partition]! < FLUSH_BYTES)) continue;
      const text = this.buffers[partition]!.join('');
      const bytes = this.sizes[partition]!;
      this.buffers[partition] = [];
      this.sizes[partition] = 0;
      this.writingBytes += bytes;
      // One write at a time per file, in order.
      const write: Promise<void> = this.pending[partition]!.then(async () => {
        let handle = this.handles[partition];
        if (handle === undefined) {
          handle = await open(this.path(partition), 'a');
          this.handles[partition] = handle;
        }
        await handle.appendFile(text);
        this.bytes += Buffer.byteLength(text);
      })
        .catch((error: unknown) => {
          this.failure ??= error;
        })
        .finally(() => {
          this.writingBytes -= bytes;
          this.writing.delete(write);
        });
      this.pending[partition] = write;
      this.writing.add(write);
    }
    while (this.writing.size > 0 && (all || this.writingBytes > HIGH_WATER_BYTES))
      await Promise.race(this.writing);
    if (this.failure !== undefined) throw this.failure;
  }

  /** Writes every buffer and closes the files. */
  public async close(): Promise<void> {
    try {
      await this.flush(true);
    } finally {
      await Promise.all(this.writing);
      await Promise.all(this.handles.map((handle) => handle?.close()));
      this.handles.fill(undefined);
    }
  }

  /** Removes a partition's file. */
  public async remove(partition: number): Promise<void> {
    await rm(this.path(partition), { force: true });
  }
}

/** The lines of a file, streamed (none when the file does not exist). */
export async function* readLines(path: string): AsyncGenerator<string> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  const opened = await new Promise<boolean>((resolve, reject) => {
    stream.once('open', () => resolve(true));
    stream.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? resolve(false) : reject(error),
    );
  });
  if (!opened) return;
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) if (line !== '') yield line;
  } finally {
    lines.close();
    stream.destroy();
  }
}
