import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../core/errors.js';
import { FileDeadLetterSink } from '../../replicator/deadLetter/FileDeadLetterSink.js';
import type { DeadLetter } from '../../replicator/deadLetter/types.js';
import { FileConflictAuditSink } from '../../replicator/merge/conflictAudit.js';
import { FileCheckpointStore } from '../../replicator/poller/FileCheckpointStore.js';
import { FileDeadLetterSource } from '../../replicator/redrive/FileDeadLetterSource.js';
import { SpillFiles } from '../../tools/verify/_internals/SpillFiles.js';
import { streamRecord } from '../helpers/factories.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
const folder = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-modes-'));
  dirs.push(dir);
  return dir;
};
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

const letter = (): DeadLetter => ({
  id: randomUUID(),
  kind: 'streamRecord',
  record: streamRecord({ newImage: { pk: { S: 'a' } }, region: 'eu-west-1' }),
  sourceRegion: 'eu-west-1',
  targetRegions: ['us-east-1'],
  error: { code: ErrorCodes.replicator.writeRejected, message: 'rejected' },
  attempts: 1,
  firstFailureAt: '2026-11-20T10:00:00.000Z',
  lastFailureAt: '2026-11-20T10:00:00.000Z',
  configVersion: 'abc',
});

const auditEntry = {
  at: '2026-11-20T10:00:00.000Z',
  keyHash: '000000000000',
  sourceRegion: 'eu-west-1',
  targetRegion: 'us-east-1',
  localClock: '',
  remoteClock: '',
  mergedClock: undefined,
  localVersion: undefined,
  remoteVersion: undefined,
  outcome: 'merged',
  attempts: 1,
  changedAttributes: [],
} as const;

describe('every file dynasync writes is mode 0600', () => {
  it('dead letters: a new file, and an existing world-readable one, are 0600 after a send', async () => {
    const dir = await folder();
    const fresh = join(dir, 'fresh.jsonl');
    await new FileDeadLetterSink(fresh).send([letter()]);
    expect(await modeOf(fresh)).toBe(0o600);
    const old = join(dir, 'old.jsonl');
    await writeFile(old, '');
    await chmod(old, 0o644);
    await new FileDeadLetterSink(old).send([letter()]);
    expect(await modeOf(old)).toBe(0o600);
  });

  it('the dead-letter file a redrive rewrites stays 0600', async () => {
    const path = join(await folder(), 'dlq.jsonl');
    const kept = letter();
    await new FileDeadLetterSink(path).send([kept]);
    const source = new FileDeadLetterSource(path);
    for await (const batch of source.receive())
      for (const one of batch) await source.keep(one, { ...one, attempts: 2 });
    await source.close();
    expect(await modeOf(path)).toBe(0o600);
  });

  it('conflict audits: new and existing files are 0600', async () => {
    const dir = await folder();
    const sink = new FileConflictAuditSink(dir, 'eu-west-1');
    await sink.write([auditEntry]);
    expect(await modeOf(sink.path)).toBe(0o600);
    await chmod(sink.path, 0o644);
    await sink.write([auditEntry]);
    expect(await modeOf(sink.path)).toBe(0o600);
  });

  it("the poller's checkpoint file is 0600", async () => {
    const path = join(await folder(), 'checkpoint-eu-west-1.json');
    await new FileCheckpointStore(path, 'eu-west-1').save({ shards: { 'shardId-1': { finished: false } } });
    expect(await modeOf(path)).toBe(0o600);
  });

  it("verify's spill files are 0600", async () => {
    const dir = await folder();
    const spill = SpillFiles.create(dir, 'source', 1);
    spill.add(0, 'line');
    await spill.close();
    expect(await modeOf(SpillFiles.pathOf(dir, 'source', 0))).toBe(0o600);
  });
});
