import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isDynasyncError } from '../../../core/errors.js';
import { type BackfillCheckpoint, CheckpointFile } from '../../../tools/backfill/CheckpointFile.js';
import { BackfillErrorCodes } from '../../../tools/backfill/errors.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
const folder = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-cp-'));
  dirs.push(dir);
  return dir;
};

const valid = (): BackfillCheckpoint => ({
  format: 'dynasync-backfill/1',
  from: 'eu-west-1',
  to: 'us-east-1',
  sourceTable: 'orders',
  targetTable: 'orders',
  segments: 2,
  path: 'conditional',
  startedAt: '2026-12-01T00:00:00.000Z',
  complete: false,
  progress: [
    { done: true, lastKey: null, pages: 3, items: 1_500 },
    { done: false, lastKey: { pk: { S: 'k9' } }, pages: 1, items: 500 },
  ],
});

/** The code and field of the error reading `document` as a checkpoint throws. */
const failureOf = async (document: unknown): Promise<{ code: string; field: unknown; message: string }> => {
  const path = join(await folder(), 'cp.json');
  await writeFile(path, typeof document === 'string' ? document : JSON.stringify(document));
  try {
    await CheckpointFile.read(path);
  } catch (error) {
    if (!isDynasyncError(error)) throw error;
    expect(error.message).toContain(path);
    return { code: error.code, field: error.payload.field, message: error.message };
  }
  throw new Error('the checkpoint was accepted');
};

describe('CheckpointFile.read validates the checkpoint against its schema', () => {
  it('reads a valid checkpoint back as it was saved', async () => {
    const path = join(await folder(), 'cp.json');
    await CheckpointFile.open(path, valid());
    expect(await CheckpointFile.read(path)).toEqual(valid());
  });

  it.each([
    [
      'done: "no" (it used to count as done: the segment was skipped)',
      ['progress', 1, 'done', 'no'],
      'progress[1].done',
    ],
    ['pages: -1', ['progress', 0, 'pages', -1], 'progress[0].pages'],
    [
      'a lastKey that is no DynamoDB key',
      ['progress', 1, 'lastKey', { pk: { X: 'k' } }],
      'progress[1].lastKey',
    ],
    ['an unknown write path', ['path', 'yolo'], 'path'],
    ['segments: 0', ['segments', 0], 'segments'],
  ])('rejects %s with backfill.checkpointCorrupt naming the field', async (_name, change, field) => {
    const document = valid() as unknown as Record<string, unknown>;
    const [first, ...rest] = change as [string, ...unknown[]];
    if (first === 'progress') {
      const [index, name, value] = rest as [number, string, unknown];
      (document.progress as Array<Record<string, unknown>>)[index]![name] = value;
    } else document[first] = rest[0];
    const failure = await failureOf(document);
    expect(failure.code).toBe(BackfillErrorCodes.checkpointCorrupt);
    expect(failure.field).toBe(field);
    expect(failure.message).toContain(field);
  });

  it('rejects progress of another segment count, a complete run with an unfinished segment, and text that is not JSON', async () => {
    const short = { ...valid(), progress: valid().progress.slice(0, 1) };
    expect(await failureOf(short)).toMatchObject({
      code: BackfillErrorCodes.checkpointCorrupt,
      field: 'progress',
    });
    expect(await failureOf({ ...valid(), complete: true })).toMatchObject({
      code: BackfillErrorCodes.checkpointCorrupt,
      field: 'complete',
    });
    expect(await failureOf('{"format":"dynasync-backfill/1",')).toMatchObject({
      code: BackfillErrorCodes.checkpointCorrupt,
    });
  });
});

describe('CheckpointFile modes', () => {
  it('creates the checkpoint with mode 0600, and makes an existing world-readable one 0600', async () => {
    const dir = await folder();
    const fresh = join(dir, 'fresh.json');
    await CheckpointFile.open(fresh, valid());
    expect((await stat(fresh)).mode & 0o777).toBe(0o600);

    const old = join(dir, 'old.json');
    await writeFile(old, JSON.stringify(valid()));
    await chmod(old, 0o644);
    await writeFile(`${old}.tmp`, '');
    await chmod(`${old}.tmp`, 0o644); // a temporary file a crash left behind
    await CheckpointFile.open(old, valid());
    expect((await stat(old)).mode & 0o777).toBe(0o600);
  });
});
