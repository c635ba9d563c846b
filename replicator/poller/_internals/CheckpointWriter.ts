import { errorMessage } from '../../../core/errorMessage.js';
import type { ReplicatorLogger } from '../../processBatch.js';
import type { CheckpointStore, Checkpoints } from '../CheckpointStore.js';

/** Options of {@link CheckpointWriter}. */
export interface CheckpointWriterOptions {
  readonly store: CheckpointStore;
  /** The positions to save, taken when a save begins. */
  readonly snapshot: () => Checkpoints;
  readonly logger: ReplicatorLogger;
  readonly region: string;
}

/**
 * Writes the poller's checkpoint. Saves never overlap: a call made while one is running waits for
 * it, and every call made meanwhile shares the one next save, whose snapshot is taken when it
 * begins — so the updates of all shards are in it.
 *
 * The reader does not await the save after a completed batch: the save (write, fsync, rename,
 * fsync of the folder) runs while the next page is read and processed, instead of adding its time
 * to every batch's lag; stop awaits the last one.
 * ```
 *   read b1 ─ process b1 ─┬─ read b2 ─ process b2 ─┬─ …
 *                         └─ save ≤ b1 ─┘           └─ save ≤ b2 ─┘
 * ```
 */
export class CheckpointWriter {
  private queuedSave: Promise<void> | undefined;
  private lastSave: Promise<void> = Promise.resolve();

  public constructor(private readonly options: CheckpointWriterOptions) {}

  /** Saves the positions (see the class comment); rejects when that save fails. */
  public save(): Promise<void> {
    if (this.queuedSave !== undefined) return this.queuedSave;
    const save = this.lastSave.then(() => {
      this.queuedSave = undefined;
      return this.options.store.save(this.options.snapshot());
    });
    this.queuedSave = save;
    this.lastSave = save.catch(() => undefined);
    return save;
  }

  /** {@link save}, with a failure logged instead of thrown: the next batch's save tries again. */
  public async saveOrLog(): Promise<void> {
    try {
      await this.save();
    } catch (error) {
      this.options.logger.error(
        'checkpoint not saved; it is retried after the next batch (a restart would re-read records, harmlessly)',
        {
          region: this.options.region,
          error: errorMessage(error),
        },
      );
    }
  }
}
