import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCheckpointStore } from '../../../replicator/poller/FileCheckpointStore.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dynasync-checkpoint-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileCheckpointStore', () => {
  it('loads nothing before the first save, then what was saved, leaving no temporary file behind', async () => {
    // Prepare
    const store = new FileCheckpointStore(join(dir, 'nested', 'checkpoint-eu-west-1.json'), 'eu-west-1');
    const checkpoints = {
      streamArn: 'arn:aws:dynamodb:eu-west-1:1:table/t/stream/2024',
      shards: {
        'shardId-1': { sequenceNumber: '000000000000000000042', finished: true },
        'shardId-2': { finished: false },
      },
    };

    // Act
    const before = await store.load();
    await store.save(checkpoints);
    await store.save(checkpoints);

    // Assess
    expect(before).toEqual({ shards: {} });
    expect(await store.load()).toEqual(checkpoints);
    expect(await readdir(join(dir, 'nested'))).toEqual(['checkpoint-eu-west-1.json']);
  });

  it.each([
    ['not JSON', '{"format": 1, "shards": '],
    ['another document', '{"format": 1, "shards": {"s": {"sequenceNumber": 12, "finished": false}}}'],
    ['a newer format', '{"format": 2, "shards": {}}'],
  ])('fails with poller.checkpointCorrupt naming the file when it holds %s', async (_what, text) => {
    // Prepare
    const path = join(dir, 'checkpoint-eu-west-1.json');
    await writeFile(path, text);

    // Act
    const error = await new FileCheckpointStore(path).load().catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'poller.checkpointCorrupt', payload: { path } });
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain('Delete it');
  });
});
