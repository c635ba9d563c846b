import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { WireItem } from '../../core/types.js';
import { BackfillErrorCodes, backfillError } from './errors.js';
import type { WritePath } from './types.js';

/** Progress of one scan segment. */
export interface SegmentCheckpoint {
  /** True once the segment's last page is written. */
  done: boolean;
  /** `LastEvaluatedKey` of the last page written (JSON wire form); `null` before the first. */
  lastKey: WireItem | null;
  pages: number;
  /** Source items of the pages written. */
  items: number;
}

/** The checkpoint of a backfill run: what identifies the run, and each segment's progress. */
export interface BackfillCheckpoint {
  readonly format: 'dynasync-backfill/1';
  readonly from: string;
  readonly to: string;
  readonly sourceTable: string;
  readonly targetTable: string;
  readonly segments: number;
  readonly path: WritePath;
  readonly startedAt: string;
  complete: boolean;
  readonly progress: SegmentCheckpoint[];
}

/**
 * A backfill checkpoint in a local JSON file, replaced atomically (written to `FILE.tmp`, then
 * renamed), so a crash leaves the previous state or the next one, never a torn file.
 *
 * A segment's progress is saved after each of its pages is written, and only then is the next page
 * of that segment written: a page is *finished* exactly when the checkpoint says so, and `--resume`
 * starts each segment after its last finished page.
 *
 * ```
 * segment 2: [page 7 read]──writes──✓──save(lastKey of page 7)──[page 8 writes]──✗ SIGKILL
 * resume:    segment 2 starts after page 7's key: page 8 is written again (conditionally), 1-7 never
 * ```
 */
export class CheckpointFile {
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    public readonly path: string,
    public readonly state: BackfillCheckpoint,
  ) {}

  /** Reads a checkpoint; `undefined` when the file does not exist. */
  public static async read(path: string): Promise<BackfillCheckpoint | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw backfillError(
        BackfillErrorCodes.checkpointMismatch,
        `backfill: cannot read the checkpoint ${path}: ${(error as Error).message}`,
        { checkpoint: path },
        error,
      );
    }
    try {
      const parsed = JSON.parse(text) as BackfillCheckpoint;
      if (parsed.format !== 'dynasync-backfill/1' || !Array.isArray(parsed.progress))
        throw new Error('not a dynasync backfill checkpoint');
      return parsed;
    } catch (error) {
      throw backfillError(
        BackfillErrorCodes.checkpointMismatch,
        `backfill: ${path} is not a backfill checkpoint (${(error as Error).message}); remove it or name another --checkpoint`,
        { checkpoint: path },
        error,
      );
    }
  }

  /** Opens a checkpoint for this run (a new one, or one read back for `--resume`) and saves it. */
  public static async open(path: string, state: BackfillCheckpoint): Promise<CheckpointFile> {
    await mkdir(dirname(path), { recursive: true });
    const file = new CheckpointFile(path, state);
    await file.save();
    return file;
  }

  /** Saves the current state; saves are queued, each writes the state as it is when it runs. */
  public save(): Promise<void> {
    const next = this.chain.then(async () => {
      const tmp = `${this.path}.tmp`;
      await writeFile(tmp, JSON.stringify(this.state));
      await rename(tmp, this.path);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Source items done, over every segment. */
  public static itemsDone(state: BackfillCheckpoint): number {
    return state.progress.reduce((sum, segment) => sum + segment.items, 0);
  }
}
