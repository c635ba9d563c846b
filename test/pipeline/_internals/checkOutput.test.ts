import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeItem } from '../../../core/codec.js';
import { ErrorCodes } from '../../../core/errors.js';
import { itemSize, MAX_ITEM_BYTES } from '../../../core/itemSize.js';
import type { Item } from '../../../core/types.js';
import { checkOutput, itemSizeBound } from '../../../pipeline/_internals/checkOutput.js';
import { wireItem } from '../../helpers/arbitraries.js';
import { checkProperty, dynasyncErrorOf } from '../../helpers/laws.js';

describe('checkOutput', () => {
  it('law: itemSizeBound is never below itemSize (so skipping the exact size is safe)', () => {
    checkProperty(
      fc.property(wireItem(3), (wire) => {
        const item = decodeItem(wire);
        expect(itemSizeBound(item)).toBeGreaterThanOrEqual(itemSize(item));
      }),
      300,
    );
  });

  it('rejects an item whose exact size is over the limit, and accepts one whose bound is over but size is not', () => {
    // Prepare: 4-byte characters (surrogate pairs) count 3 per UTF-16 unit in the bound, 2 in the size.
    const ascii = 'a'.repeat(MAX_ITEM_BYTES);
    const emoji = '😀'.repeat(80_000);
    const near: Item = { pk: { S: 'k' }, text: { S: emoji } };
    // Act / Assess
    expect(itemSizeBound(near)).toBeGreaterThan(MAX_ITEM_BYTES);
    expect(checkOutput(near, near, ['pk'], 'us-east-1', false)).toBe(near);
    const over: Item = { pk: { S: 'k' }, text: { S: ascii } };
    expect(dynasyncErrorOf(() => checkOutput(over, over, ['pk'], 'us-east-1', false)).code).toBe(
      ErrorCodes.pipeline.itemTooLarge,
    );
  });
});
