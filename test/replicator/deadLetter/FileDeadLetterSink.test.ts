import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../core/errors.js';
import { FileDeadLetterSink } from '../../../replicator/deadLetter/FileDeadLetterSink.js';
import type { DeadLetter } from '../../../replicator/deadLetter/types.js';
import { deadLetterId } from '../../../replicator/processBatch.js';
import { streamRecord } from '../../helpers/factories.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const letter = (): DeadLetter => ({
  id: randomUUID(),
  kind: 'streamRecord',
  record: streamRecord({ newImage: { pk: { S: randomUUID() } } }),
  sourceRegion: 'eu-west-1',
  targetRegions: ['us-east-1'],
  error: { code: ErrorCodes.replicator.writeRejected, message: 'rejected' },
  attempts: 1,
  firstFailureAt: '2026-11-20T10:00:00.000Z',
  lastFailureAt: '2026-11-20T10:00:00.000Z',
  configVersion: 'abc',
});

describe('FileDeadLetterSink', () => {
  it('starts a new line after a line torn by a crash, and readers skip the torn line', async () => {
    // Prepare: a file whose last append was cut off mid-line.
    const dir = await mkdtemp(join(tmpdir(), 'dynasync-dlq-'));
    dirs.push(dir);
    const path = join(dir, 'dead-letter-eu-west-1.jsonl');
    const first = letter();
    await writeFile(path, `${JSON.stringify(first)}\n{"id":"torn","kind":"strea`);
    const sink = new FileDeadLetterSink(path);
    const next = letter();

    // Act
    await sink.send([next]);

    // Assess
    expect(await sink.readAll()).toEqual([first, next]);
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(4);
  });
});

describe('deadLetterId', () => {
  it('is the same for the same record, targets and code, and differs otherwise', () => {
    const record = streamRecord({ newImage: { pk: { S: 'a' } } });
    const other = streamRecord({ newImage: { pk: { S: 'a' } } });

    expect(deadLetterId('eu-west-1', record, 0, ['us-east-1', 'ap-south-1'], 'x')).toBe(
      deadLetterId('eu-west-1', record, 3, ['ap-south-1', 'us-east-1'], 'x'),
    );
    expect(deadLetterId('eu-west-1', record, 0, ['us-east-1'], 'x')).not.toBe(
      deadLetterId('eu-west-1', other, 0, ['us-east-1'], 'x'),
    );
    expect(deadLetterId('eu-west-1', record, 0, ['us-east-1'], 'x')).not.toBe(
      deadLetterId('eu-west-1', record, 0, ['us-east-1'], 'y'),
    );
  });
});
