import type { Config } from '../../../core/config/types.js';
import type { Checkpoints, ShardCheckpoint } from '../CheckpointStore.js';

/** Where a shard iterator starts. */
export type Position =
  | { readonly type: 'TRIM_HORIZON' | 'LATEST' }
  | { readonly type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

/** The read position of one shard: its last completed record, and whether it was read to its end. */
export interface ShardState {
  sequenceNumber: string | undefined;
  finished: boolean;
}

/** A position as a log field: `AFTER_SEQUENCE_NUMBER 123…` or `TRIM_HORIZON`. */
export const describePosition = (position: Position): string =>
  'sequenceNumber' in position ? `${position.type} ${position.sequenceNumber}` : position.type;

/**
 * The read positions of a stream's shards: what the checkpoint holds, and where a shard's reading
 * resumes. Shards that existed when the stream was first read start at `startingPosition`; every
 * other shard without a position starts at `TRIM_HORIZON`, so nothing written meanwhile is lost.
 */
export class ShardPositions {
  private readonly states = new Map<string, ShardState>();
  /** Shards that existed when the stream was first read: they start at `startingPosition`. */
  private readonly initialShards = new Set<string>();

  public constructor(private readonly startingPosition: Config['replicator']['startingPosition']) {}

  /** Takes the positions of a saved checkpoint. */
  public restore(shards: Checkpoints['shards']): void {
    for (const [shardId, checkpoint] of Object.entries(shards)) {
      this.states.set(shardId, { sequenceNumber: checkpoint.sequenceNumber, finished: checkpoint.finished });
    }
  }

  /** Marks the shards of a stream read for the first time: they start at `startingPosition`. */
  public markInitial(shardIds: Iterable<string>): void {
    for (const shardId of shardIds) this.initialShards.add(shardId);
  }

  public get(shardId: string): ShardState | undefined {
    return this.states.get(shardId);
  }

  public isFinished(shardId: string): boolean {
    return this.states.get(shardId)?.finished === true;
  }

  /** The state of a shard, created (no position, unfinished) on first use. */
  public stateOf(shardId: string): ShardState {
    let state = this.states.get(shardId);
    if (state === undefined) {
      state = { sequenceNumber: undefined, finished: false };
      this.states.set(shardId, state);
    }
    return state;
  }

  public entries(): IterableIterator<[string, ShardState]> {
    return this.states.entries();
  }

  public forget(shardId: string): void {
    this.states.delete(shardId);
  }

  /** After trimmed data: the shard has no position any more and reads on from `TRIM_HORIZON`. */
  public restartAtTrimHorizon(shardId: string, state: ShardState): void {
    state.sequenceNumber = undefined;
    this.initialShards.delete(shardId);
  }

  /** Where to resume a shard when there is no iterator: after its checkpoint, else its starting position. */
  public resumePosition(shardId: string): Position {
    const sequenceNumber = this.states.get(shardId)?.sequenceNumber;
    if (sequenceNumber !== undefined) return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber };
    return { type: this.initialShards.has(shardId) ? this.startingPosition : 'TRIM_HORIZON' };
  }

  /** The positions as a checkpoint of `streamArn`. */
  public snapshot(streamArn: string | undefined): Checkpoints {
    const shards: Record<string, ShardCheckpoint> = {};
    for (const [shardId, state] of this.states) {
      shards[shardId] =
        state.sequenceNumber === undefined
          ? { finished: state.finished }
          : { sequenceNumber: state.sequenceNumber, finished: state.finished };
    }
    return { ...(streamArn === undefined ? {} : { streamArn }), shards };
  }
}
