import { describe, expect, it } from 'vitest';
import { estimateBackfillUnits, formatBackfillEstimate } from '../../../tools/backfill/estimateUnits.js';

describe('estimateBackfillUnits', () => {
  it('charges 0.5 read units per started 4 KB of the table and 1 write unit per started KB of the average item', () => {
    expect(estimateBackfillUnits(1_000, 2_048_000)).toEqual({
      itemCount: 1_000,
      sizeBytes: 2_048_000,
      readUnits: 250,
      writeUnits: 2_000,
    });
    expect(estimateBackfillUnits(10, 4_097)).toMatchObject({ readUnits: 1, writeUnits: 10 }); // 2 × 4 KB started; items < 1 KB
    expect(estimateBackfillUnits(0, 0)).toMatchObject({ readUnits: 0, writeUnits: 0 });
  });

  it('prints the units and the DescribeTable figures, no item values', () => {
    expect(formatBackfillEstimate(estimateBackfillUnits(3, 3_500))).toBe(
      'backfill will consume about 0.5 read units and 6 write units (source: 3 items, 3500 bytes by DescribeTable)',
    );
  });
});
