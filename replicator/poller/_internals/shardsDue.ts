import type { Shard } from '@aws-sdk/client-dynamodb-streams';

/**
 * The shards to start reading now, in listing order: not being read, not finished, and whose parent
 * is finished. A parent the stream no longer lists was trimmed, which counts as finished.
 *
 * ```
 * shard A  ──[…]── closed ✓
 * shard A1 (child of A)    └── due once A is finished ──▶
 * ```
 */
export const shardsDue = (
  shards: ReadonlyMap<string, Shard>,
  isFinished: (shardId: string) => boolean,
  isActive: (shardId: string) => boolean,
): string[] => {
  const parentFinished = (shard: Shard): boolean => {
    const parent = shard.ParentShardId;
    if (parent === undefined || !shards.has(parent)) return true;
    return isFinished(parent);
  };
  const due: string[] = [];
  for (const [shardId, shard] of shards) {
    if (isActive(shardId) || isFinished(shardId) || !parentFinished(shard)) continue;
    due.push(shardId);
  }
  return due;
};
