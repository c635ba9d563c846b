import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DynasyncError } from '../../../core/errors.js';
import { FileJobStore } from '../../../tools/scaleout/FileJobStore.js';
import { planJob, sampleSegments } from '../../../tools/scaleout/planJob.js';
import { mergeCandidates } from '../../../tools/scaleout/verifyTasks.js';

const live = (digest: string, version = 'v1') => ({ state: 'live', digest, version });
const absent = { state: 'absent', digest: '', version: '' };
const candidate = (k: string, source: object, target: object, sk: object | null = { pk: { S: k } }) =>
  JSON.stringify({
    k: JSON.stringify({ pk: { S: k } }),
    tk: { pk: { S: k } },
    sk,
    was: 'missing',
    scanned: { source, target },
  });

describe('mergeCandidates', () => {
  it('drops a key seen at the source by one segment and at the target by another, when the two agree', () => {
    // Prepare: "a" is a cross-segment key, in sync; "b" is truly missing.
    const lines = [
      candidate('a', live('d1'), absent),
      candidate('b', live('d2'), absent),
      candidate('a', absent, live('d1'), null),
    ];

    // Act
    const merged = mergeCandidates(lines).map((line) => JSON.parse(line) as { k: string; was: string });

    // Assess
    expect(merged.map((entry) => [JSON.parse(entry.k).pk.S, entry.was])).toEqual([['b', 'missing']]);
  });

  it('merges a cross-segment key that does differ into one candidate with both observations', () => {
    const merged = mergeCandidates([
      candidate('a', absent, live('d9'), null),
      candidate('a', live('d1'), absent),
    ]);

    expect(merged).toHaveLength(1);
    const entry = JSON.parse(merged[0]!) as {
      was: string;
      sk: unknown;
      scanned: { source: object; target: object };
    };
    expect(entry.was).toBe('different');
    expect(entry.sk).toEqual({ pk: { S: 'a' } });
    expect(entry.scanned).toEqual({ source: live('d1'), target: live('d9') });
  });

  it('keeps a key seen by one segment only unchanged', () => {
    const line = candidate('c', live('d1'), live('d2'));
    expect(mergeCandidates([line]).map((l) => JSON.parse(l).scanned)).toEqual([
      { source: live('d1'), target: live('d2') },
    ]);
  });
});

describe('planJob', () => {
  const base = {
    command: 'verify',
    configVersion: 'c1',
    from: 'a',
    to: 'b',
    shuffle: false,
    concurrency: 4,
  } as const;

  it('chooses ceil(f × total) segments, the same ones for the same seed, all of them at 1', () => {
    expect(sampleSegments(100, 0.1, 42)).toHaveLength(10);
    expect(sampleSegments(100, 0.1, 42)).toEqual(sampleSegments(100, 0.1, 42));
    expect(sampleSegments(100, 0.1, 42)).not.toEqual(sampleSegments(100, 0.1, 43));
    expect(sampleSegments(5, 0.01, 1)).toHaveLength(1);
    expect(sampleSegments(6, 1, 1)).toEqual([0, 1, 2, 3, 4, 5]);
    const plan = planJob({ ...base, totalSegments: 16, sample: 0.25, sampleSeed: 9 });
    expect(plan.segments).toEqual(sampleSegments(16, 0.25, 9));
    expect(plan.sample).toBe(0.25);
  });

  it.each([0, -0.5, 1.5, Number.NaN])('rejects --sample %s with verify.invalidOption', (sample) => {
    try {
      planJob({ ...base, totalSegments: 4, sample });
      expect.unreachable();
    } catch (error) {
      expect((error as DynasyncError).code).toBe('verify.invalidOption');
    }
  });
});

describe('FileJobStore', () => {
  it('writes files 0600 in folders 0700, lists by prefix in order, and answers undefined for a missing key', async () => {
    const root = await mkdtemp(join(tmpdir(), 'dynasync-store-test-'));
    try {
      const store = new FileJobStore(root);
      await store.put('jobs/j1/segments/1/result.json', '{}');
      await store.put('jobs/j1/segments/0/result.json', 'x');
      await store.put('jobs/j2/job.json', 'y');

      expect((await stat(join(root, 'jobs/j1/segments/0/result.json'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(root, 'jobs/j1/segments'))).mode & 0o777).toBe(0o700);
      expect(await store.list('jobs/j1/')).toEqual([
        'jobs/j1/segments/0/result.json',
        'jobs/j1/segments/1/result.json',
      ]);
      expect(new TextDecoder().decode(await store.get('jobs/j2/job.json'))).toBe('y');
      expect(await store.get('jobs/none')).toBeUndefined();
      await expect(store.put('../escape', 'z')).rejects.toThrow('not a relative key');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
