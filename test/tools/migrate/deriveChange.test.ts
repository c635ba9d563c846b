import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../../core/types.js';
import { processKeyHasher } from '../../../keys/keyHasher.js';
import { deriveChange, type MigrateTransform } from '../../../tools/migrate/deriveChange.js';
import { MigrateErrorCodes } from '../../../tools/migrate/errors.js';
import { checkedTransform, loadTransform } from '../../../tools/migrate/loadTransform.js';
import { REPO_ROOT } from '../../helpers/childRun.js';
import { legacyOrder } from './orders.js';

const CONFIG = join(REPO_ROOT, 'examples', 'migrate-orders', 'dynasync.json');
const KEYS = ['pk', 'sk'];

const sks = (items: readonly Item[]) => items.map((item) => (item.sk as { S: string }).S);

describe('deriveChange with the migrate-orders example transform', () => {
  let transform: MigrateTransform;
  beforeAll(async () => {
    transform = (await loadTransform('./transform.mjs', CONFIG)).transform;
  });

  it('INSERT: puts the order and one item per line, numbers exact, attributes renamed and derived', () => {
    const change = deriveChange(transform, undefined, legacyOrder('7', 2), KEYS);
    expect(sks(change.puts)).toEqual(['ORDER', 'ITEM#001', 'ITEM#002']);
    expect(change.deletes).toEqual([]);
    const head = change.puts[0]!;
    expect(head).toMatchObject({
      pk: { S: 'ORDER#7' },
      customerKey: { S: 'CUSTOMER#c-7' },
      lineCount: { N: '2' },
    });
    expect(head.createdAt).toEqual({ S: '2026-11-23T04:00:00Z' });
    expect(change.puts[1]!.price).toEqual({ N: '19.99000000000000000000000000000000001' });
  });

  it('MODIFY that drops lines: the obsolete derived items are deleted, by their keys only', () => {
    const change = deriveChange(transform, legacyOrder('7', 4), legacyOrder('7', 1), KEYS);
    expect(sks(change.puts)).toEqual(['ORDER', 'ITEM#001']);
    expect(change.deletes).toEqual([
      { pk: { S: 'ORDER#7' }, sk: { S: 'ITEM#002' } },
      { pk: { S: 'ORDER#7' }, sk: { S: 'ITEM#003' } },
      { pk: { S: 'ORDER#7' }, sk: { S: 'ITEM#004' } },
    ]);
  });

  it('REMOVE: every derived item is deleted', () => {
    const change = deriveChange(transform, legacyOrder('9', 2), undefined, KEYS);
    expect(change.puts).toEqual([]);
    expect(sks(change.deletes)).toEqual(['ORDER', 'ITEM#001', 'ITEM#002']);
  });

  it('a transform output without the target key is a migrate.transformFailed naming no values', () => {
    const broken = checkedTransform(() => [{ pk: { S: 'x' } }], ['orderId'], KEYS, processKeyHasher());
    expect(() => broken(legacyOrder('1', 1))).toThrow(
      expect.objectContaining({ code: MigrateErrorCodes.transformFailed }),
    );
    const throwing = checkedTransform(
      () => {
        throw new Error('boom');
      },
      ['orderId'],
      KEYS,
      processKeyHasher(),
    );
    expect(() => throwing(legacyOrder('1', 1))).toThrow(
      expect.objectContaining({ code: MigrateErrorCodes.transformFailed }),
    );
  });

  it('a module without a transform export is a migrate.transformLoadFailed', async () => {
    await expect(loadTransform('./dynasync.json', CONFIG)).rejects.toMatchObject({
      code: MigrateErrorCodes.transformLoadFailed,
    });
  });
});
