import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynasyncError } from '../../../core/errors.js';
import type { WireItem } from '../../../core/types.js';
import { createPageSpiller, type PageSpillerOptions } from '../../../tools/verify/_internals/pageSpiller.js';

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

describe('createPageSpiller', () => {
  it('returns each page without its items, and spills the same lines from the text as through a transform', async () => {
    // Prepare: the same pages read straight from their text, and decoded for an identity transform.
    const pages = Array.from({ length: 6 }, (_, page) =>
      Array.from({ length: 50 }, (_, i) => wireItem(page * 50 + i)),
    );
    const fromText = createPageSpiller(await optionsIn('text'));
    const transformed = createPageSpiller(await optionsIn('transform'), (item) => [item]);
    // Act
    const results = [];
    for (const [index, items] of pages.entries()) {
      const side = index % 2 === 0 ? 'source' : 'target';
      const lastKey = { LastEvaluatedKey: { pk: { S: `user#${index}` } } };
      results.push([
        await fromText.page(side, body(items, lastKey)),
        await transformed.page(side, body(items, lastKey)),
      ]);
    }
    const [textTotals, transformTotals] = [await fromText.close(), await transformed.close()];
    // Assess
    for (const [read, parsed] of results) {
      expect(read).toEqual({ ...parsed, Items: undefined });
      expect(read).not.toHaveProperty('Items', expect.anything());
      expect(read).toHaveProperty('LastEvaluatedKey');
    }
    expect(textTotals).toEqual(transformTotals);
    expect(textTotals.live.source + textTotals.tombstones.source).toBe(150);
    expect(textTotals.tombstones.source).toBe(30);
    const [textDir, transformDir] = dirs as [string, string];
    expect(await filesOf(textDir)).toEqual(await filesOf(transformDir));
  });

  it('rejects a page whose items lack the target key with verify.keySchemaMismatch, and every page after it', async () => {
    // Prepare
    const spiller = createPageSpiller(await optionsIn('mismatch', { targetKeyNames: ['id'] }));
    // Act
    const error = await spiller.page('source', body([wireItem(1)], {})).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    // Assess
    expect(error).toBeInstanceOf(DynasyncError);
    expect((error as DynasyncError).code).toBe('verify.keySchemaMismatch');
    await expect(spiller.page('target', body([{ id: { S: 'x' } }], {}))).rejects.toThrow(/no id/);
    await spiller.destroy();
  });
});
