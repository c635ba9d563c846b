import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import type { PeerWriteResult, PeerWrites } from './PeerWrites.js';
import type { PlannedWrite } from './types.js';

/** What {@link PeerWriterBase} takes from a writer's options. */
export interface PeerWriterBaseOptions {
  /** Writes in flight at once, across peers. @default 32 */
  readonly concurrency?: number;
  readonly now?: () => number;
}

/**
 * The part every {@link PeerWrites} shares: a batch's writes run with bounded concurrency under one
 * deadline signal. A strategy supplies `send` (one write, its retries and its outcome).
 */
export abstract class PeerWriterBase implements PeerWrites {
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly clock: () => number;

  protected constructor(options: PeerWriterBaseOptions) {
    this.limit = pLimit(options.concurrency ?? 32);
    this.clock = options.now ?? Date.now;
  }

  public async sendAll(
    writes: readonly PlannedWrite[],
    deadlineMs: number,
    onResult?: (result: PeerWriteResult) => void,
  ): Promise<PeerWriteResult[]> {
    // One timer for the whole batch, not one per request: requests end at the deadline at the latest.
    const deadlineSignal = AbortSignal.timeout(Math.max(1, deadlineMs - this.clock()));
    // Every write in flight listens to it (the SDK request, a retry's sleep): not a leak.
    setMaxListeners(0, deadlineSignal);
    return Promise.all(
      writes.map((write) =>
        this.limit(async () => {
          const result = await this.send(write, deadlineMs, deadlineSignal);
          onResult?.(result);
          return result;
        }),
      ),
    );
  }

  public abstract send(
    write: PlannedWrite,
    deadlineMs: number,
    deadlineSignal?: AbortSignal,
  ): Promise<PeerWriteResult>;
}
