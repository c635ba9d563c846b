/** How far one shard has been read. */
export interface ShardCheckpoint {
  /**
   * Sequence number of the last record whose batch completed (every record up to it applied,
   * stale, skipped or dead-lettered). Absent while no record of the shard has completed.
   */
  readonly sequenceNumber?: string | undefined;
  /** True once the shard is closed and every record in it has completed. */
  readonly finished: boolean;
}

/** The read position of one region's stream, as `dynasync run` persists it. */
export interface Checkpoints {
  /**
   * ARN of the stream the positions belong to. When the table's current stream differs (the
   * stream was disabled and enabled again), the positions are meaningless and the poller starts
   * fresh. Absent when nothing was saved yet.
   */
  readonly streamArn?: string;
  /** Position per shard id. */
  readonly shards: Readonly<Record<string, ShardCheckpoint>>;
}

/**
 * Where `dynasync run` keeps its stream positions. `save` must be atomic (a crash leaves either
 * the old or the new positions, never a torn file) and must resolve only once the positions are
 * durable. The poller never calls `save` twice at once.
 */
export interface CheckpointStore {
  /** The saved positions; `{ shards: {} }` when none were saved yet. */
  load(): Promise<Checkpoints>;
  save(checkpoints: Checkpoints): Promise<void>;
}
