import { describe, expect, it } from 'vitest';
import { decideMerge, mergeItems } from '../../conflict/merge/mergeItems.js';
import { type MergeWrite, stampMergeWrite } from '../../conflict/merge/stampMergeWrite.js';
import type { MergeSpec } from '../../conflict/merge/types.js';
import { encodeVersion } from '../../conflict/version.js';
import type { Item } from '../../core/types.js';
import { checkMergeLaws } from '../../tools/checkMerge/checkMergeLaws.js';
import {
  fullSpec,
  HISTORY_KEYS,
  historyNames as names,
  reachableStates,
} from '../../tools/checkMerge/histories.js';
import {
  assertAssociative,
  assertCommutative,
  assertIdempotentMerge,
  dynasyncErrorOf,
} from '../helpers/laws.js';

const EU = 'eu-west-1';
const US = 'us-east-1';
let tick = 0;
const write = (
  stored: Item | undefined,
  region: string,
  w: MergeWrite,
  spec: MergeSpec = fullSpec(),
): Item => {
  tick += 1;
  return stampMergeWrite(stored, HISTORY_KEYS, w, {
    region,
    version: encodeVersion({ physicalMs: 1_700_000_000_000 + tick, logical: 0, origin: region }),
    expiresAt: '1700604800',
    spec,
    names,
  });
};

describe('mergeItems (built-in merges)', () => {
  for (const defaultMerge of ['lww', 'item'] as const) {
    const spec = fullSpec(defaultMerge);
    const merge = (a: Item, b: Item) => mergeItems(a, b, spec, names);
    it(`law: default "${defaultMerge}" with counter and set attributes is commutative, associative, idempotent on reachable states`, () => {
      const states = reachableStates(spec);
      assertIdempotentMerge(states, merge);
      assertCommutative(states, merge);
      assertAssociative(states, merge);
    });
    it(`check-merge passes the built-in merge (default "${defaultMerge}")`, () => {
      expect(checkMergeLaws(merge, { spec, numRuns: 100 })).toMatchObject({ ok: true });
    });
  }

  it('per-attribute LWW: concurrent updates to different attributes both survive', () => {
    const base = write(undefined, EU, { type: 'put', item: { a: { S: 'a0' }, b: { S: 'b0' } } });
    const eu = write(base, EU, { type: 'update', set: { a: { S: 'a-eu' } } });
    const us = write(base, US, { type: 'update', set: { b: { S: 'b-us' } } });
    const merged = mergeItems(eu, us, fullSpec(), names);
    expect(merged.a).toEqual({ S: 'a-eu' });
    expect(merged.b).toEqual({ S: 'b-us' });
    expect(decideMerge({ [EU]: '2' }, { [EU]: '1', [US]: '1' })).toBe('merge');
  });

  it('whole-item LWW (default "item"): the newer write wins every unlisted attribute', () => {
    const spec = fullSpec('item');
    const base = write(undefined, EU, { type: 'put', item: { a: { S: 'a0' }, b: { S: 'b0' } } }, spec);
    const eu = write(base, EU, { type: 'update', set: { a: { S: 'a-eu' } } }, spec);
    const us = write(base, US, { type: 'update', set: { b: { S: 'b-us' } } }, spec);
    const merged = mergeItems(eu, us, spec, names);
    expect([merged.a, merged.b]).toEqual([{ S: 'a0' }, { S: 'b-us' }]);
  });

  it('counter: concurrent increments add up exactly, and merging again adds nothing', () => {
    const base = write(undefined, EU, { type: 'update', add: { n: '99999999999999999999999999999999999' } });
    const eu = write(base, EU, { type: 'update', add: { n: '1' } });
    const us = write(base, US, { type: 'update', add: { n: '0.5' } });
    const merged = mergeItems(eu, us, fullSpec(), names);
    expect(merged.n).toEqual({ N: '100000000000000000000000000000000000.5' });
    expect(mergeItems(merged, us, fullSpec(), names)).toEqual(merged);
  });

  it('set: add-wins; a remove wins only over the adds it saw', () => {
    const base = write(undefined, EU, { type: 'update', addToSet: { s: { SS: ['red', 'blue'] } } });
    const eu = write(base, EU, { type: 'update', removeFromSet: { s: { SS: ['red', 'blue'] } } });
    const us = write(base, US, { type: 'update', addToSet: { s: { SS: ['blue', 'gold'] } } });
    const merged = mergeItems(eu, us, fullSpec(), names);
    expect(merged.s).toEqual({ SS: ['blue', 'gold'] });
  });

  it('delete vs a newer concurrent update: the update keeps what it wrote and revives the item', () => {
    const base = write(undefined, EU, { type: 'put', item: { a: { S: 'a0' }, b: { S: 'b0' } } });
    const eu = write(base, EU, { type: 'delete' });
    const us = write(base, US, { type: 'update', set: { b: { S: 'b-us' } } });
    const merged = mergeItems(eu, us, fullSpec(), names);
    expect(merged.a).toBeUndefined();
    expect(merged.b).toEqual({ S: 'b-us' });
    expect(merged[names.deleted]).toBeUndefined();
    const later = write(us, EU, { type: 'delete' });
    expect(mergeItems(later, us, fullSpec(), names)[names.deleted]).toEqual({ BOOL: true });
  });

  it('rejects application writes to metadata or misuse of counters with conflict.invalidWrite', () => {
    expect(
      dynasyncErrorOf(() => write(undefined, EU, { type: 'put', item: { _ds_vc: { S: 'x' } } })).code,
    ).toBe('conflict.invalidWrite');
    expect(dynasyncErrorOf(() => write(undefined, EU, { type: 'update', add: { a: '1' } })).code).toBe(
      'conflict.invalidWrite',
    );
  });
});

describe('the docs/conflicts.md worked example', () => {
  it('title, views and tags merge as documented', () => {
    const spec: MergeSpec = { attributes: { views: 'counter', tags: 'set' }, default: 'lww' };
    const base = write(
      undefined,
      EU,
      {
        type: 'update',
        set: { title: { S: 'Home' } },
        add: { views: '10' },
        addToSet: { tags: { SS: ['a'] } },
      },
      spec,
    );
    const eu = write(
      base,
      EU,
      {
        type: 'update',
        set: { title: { S: 'Start' } },
        add: { views: '5' },
        addToSet: { tags: { SS: ['eu'] } },
      },
      spec,
    );
    const us = write(
      base,
      US,
      {
        type: 'update',
        add: { views: '7' },
        addToSet: { tags: { SS: ['us'] } },
        removeFromSet: { tags: { SS: ['a'] } },
      },
      spec,
    );
    for (const merged of [mergeItems(eu, us, spec, names), mergeItems(us, eu, spec, names)]) {
      expect(merged.title).toEqual({ S: 'Start' });
      expect(merged.views).toEqual({ N: '22' });
      expect(merged.tags).toEqual({ SS: ['eu', 'us'] });
      expect(merged[names.clock]).toEqual({ S: `${EU}:2,${US}:1` });
    }
  });
});
