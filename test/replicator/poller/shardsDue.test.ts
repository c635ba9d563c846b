import type { Shard } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { shardsDue } from '../../../replicator/poller/_internals/shardsDue.js';

const listing = (...shards: Array<[string, string?]>): Map<string, Shard> =>
  new Map(
    shards.map(([id, parent]) => [
      id,
      { ShardId: id, ...(parent === undefined ? {} : { ParentShardId: parent }) },
    ]),
  );

describe('shardsDue', () => {
  it('holds a child back until its parent is finished, then lists it', () => {
    // Prepare
    const shards = listing(['a'], ['a1', 'a'], ['b']);
    const finished = new Set<string>();

    // Act
    const before = shardsDue(
      shards,
      (id) => finished.has(id),
      () => false,
    );
    finished.add('a');
    const after = shardsDue(
      shards,
      (id) => finished.has(id),
      () => false,
    );

    // Assess
    expect(before).toEqual(['a', 'b']);
    expect(after).toEqual(['a1', 'b']);
  });

  it('counts a parent the stream no longer lists as finished, and skips finished and active shards', () => {
    // Prepare
    const shards = listing(['orphan', 'trimmed-away'], ['done'], ['reading'], ['waiting', 'reading']);

    // Act
    const due = shardsDue(
      shards,
      (id) => id === 'done',
      (id) => id === 'reading',
    );

    // Assess
    expect(due).toEqual(['orphan']);
  });
});
