import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynasyncError } from '../../../core/errors.js';
import type { WireItem } from '../../../core/types.js';
import { createPageSpiller, type PageSpillerOptions } from '../../../tools/verify/_internals/pageSpiller.js';
import { WorkerPageSpiller } from '../../../tools/verify/_internals/WorkerPageSpiller.js';

const V = '001700000000000.000000.eu-west-1';
const wireItem = (i: number): WireItem => ({
  pk: { S: `user#${i}` },
  email: { S: `user${i}@example.com` },
  n: { N: String(i * 7) },
  _ds_v: { S: V },
  ...(i % 5 === 0 ? { _ds_del: { BOOL: true } } : {}),
});
const body = (items: readonly WireItem[], rest: Record<string, unknown>): Uint8Array =>
  Buffer.from(JSON.stringify({ Items: items, Count: items.length, ...rest }));

let dirs: string[] = [];
const optionsIn = async (
  name: string,
  overrides: Partial<PageSpillerOptions> = {},
): Promise<PageSpillerOptions> => {
  const dir = await mkdtemp(join(tmpdir(), `dynasync-spill-${name}-`));
  dirs.push(dir);
  return {
    dir,
    partitions: 8,
    prefix: '_ds_',
    compareVersions: true,
    targetKeyNames: ['pk'],
    sourceKeyNames: ['pk'],
    sameKeys: true,
    targetTable: 'orders',
    to: 'us-east-1',
    ...overrides,
  };
};
const filesOf = async (dir: string): Promise<Record<string, string>> => {
  const names = (await readdir(dir)).sort();
  return Object.fromEntries(
    await Promise.all(names.map(async (name) => [name, await readFile(join(dir, name), 'utf8')])),
  );
};

beforeEach(() => {
  dirs = [];
});
afterEach(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('WorkerPageSpiller', () => {
  it('returns each page without its items and spills exactly what the in-thread spiller spills', async () => {
    // Prepare
    const pages = Array.from({ length: 6 }, (_, page) =>
      Array.from({ length: 50 }, (_, i) => wireItem(page * 50 + i)),
    );
    const inline = createPageSpiller(await optionsIn('inline'));
    const worker = new WorkerPageSpiller(await optionsIn('worker'));
    // Act
    const results = [];
    for (const [index, items] of pages.entries()) {
      const side = index % 2 === 0 ? 'source' : 'target';
      const lastKey = { LastEvaluatedKey: { pk: { S: `user#${index}` } } };
      results.push([
        await inline.page(side, body(items, lastKey)),
        await worker.page(side, body(items, lastKey)),
      ]);
    }
    const [inlineTotals, workerTotals] = [await inline.close(), await worker.close()];
    // Assess
    for (const [fromInline, fromWorker] of results) {
      expect(fromWorker).toEqual(fromInline);
      expect(fromWorker).not.toHaveProperty('Items', expect.anything());
      expect(fromWorker).toHaveProperty('LastEvaluatedKey');
    }
    expect(workerTotals).toEqual(inlineTotals);
    expect(workerTotals.live.source + workerTotals.tombstones.source).toBe(150);
    const [inlineDir, workerDir] = dirs as [string, string];
    expect(await filesOf(workerDir)).toEqual(await filesOf(inlineDir));
  });

  it('rejects a page whose items lack the target key with verify.keySchemaMismatch, across the thread', async () => {
    // Prepare
    const worker = new WorkerPageSpiller(await optionsIn('mismatch', { targetKeyNames: ['id'] }));
    // Act
    const error = await worker.page('source', body([wireItem(1)], {})).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    await worker.destroy();
    // Assess
    expect(error).toBeInstanceOf(DynasyncError);
    expect((error as DynasyncError).code).toBe('verify.keySchemaMismatch');
    await expect(worker.page('source', body([wireItem(2)], {}))).rejects.toThrow();
  });

  it('starts before it has options and refuses pages until it is opened', async () => {
    // Prepare
    const worker = new WorkerPageSpiller();
    // Act
    const early = await worker.page('source', body([wireItem(1)], {})).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    worker.open(await optionsIn('late'));
    const rest = await worker.page('source', body([wireItem(2)], { Count: 1 }));
    const totals = await worker.close();
    // Assess
    expect(String(early)).toMatch(/before its options/);
    expect(rest).toMatchObject({ Count: 1 });
    expect(totals.live.source).toBe(1);
  });
});
