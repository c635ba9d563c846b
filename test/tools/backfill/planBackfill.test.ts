import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  encodeVersion,
  streamVersion,
  tryDecodeVersion,
} from '../../../conflict/version.js';
import { metadataNamesFor } from '../../../core/config/topology.js';
import type { Item } from '../../../core/types.js';
import { planBackfillPage, TOMBSTONE_NOT_TRANSFORMED } from '../../../tools/backfill/planBackfill.js';
import { RepairSkipCodes } from '../../../tools/verify/types.js';

const names = metadataNamesFor('_ds_');
const READ_AT = Date.UTC(2026, 0, 1, 12, 0, 6, 300);
const base = {
  names,
  from: 'eu-west-1',
  readAtMs: READ_AT,
  tombstoneRetentionSeconds: 7 * 86_400,
  targetKeyNames: ['pk'],
};

const versionOf = (item: Item): string => (item[names.version] as { S: string }).S;

describe('planBackfillPage', () => {
  it('one-way: stamps a version from the second before the read, and the replication marker', () => {
    // Prepare
    const items: Item[] = [{ pk: { S: 'a' }, n: { N: '12345678901234567890123456789012345678' } }];
    // Act
    const plan = planBackfillPage(items, { ...base, compareVersions: false });
    // Assess
    expect(plan.skipped).toEqual({});
    expect(plan.writes).toHaveLength(1);
    const write = plan.writes[0]!;
    expect(write.item.n).toEqual({ N: '12345678901234567890123456789012345678' });
    expect(write.item[names.replicated]).toEqual({ BOOL: true });
    expect(versionOf(write.item)).toBe(
      `${String(READ_AT - 1_300).padStart(15, '0')}.000000.eu-west-1~${'0'.repeat(40)}`,
    );
    expect(write.version).toBe(versionOf(write.item));
  });

  it('one-way: any change the stream records at or after the read is newer than the backfill', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.bigInt({ min: 1n, max: 10n ** 30n }),
        fc.boolean(),
        (afterMs, sequence, wholeSeconds) => {
          const plan = planBackfillPage([{ pk: { S: 'k' } }], { ...base, compareVersions: false });
          const backfilled = tryDecodeVersion(plan.writes[0]!.version)!;
          const at = READ_AT + afterMs;
          // Lambda reports stream times in whole seconds; `run` may report milliseconds.
          const streamMs = wholeSeconds ? Math.floor(at / 1000) * 1000 : at;
          const live = streamVersion(streamMs, 'eu-west-1', sequence.toString());
          expect(compareVersions(live, backfilled)).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('active-active: keeps the item version, skips unstamped items', () => {
    const version = encodeVersion({ physicalMs: 1_700_000_000_000, logical: 3, origin: 'eu-west-1' });
    const items: Item[] = [{ pk: { S: 'a' }, [names.version]: { S: version } }, { pk: { S: 'b' } }];
    const plan = planBackfillPage(items, { ...base, compareVersions: true });
    expect(plan.writes.map((write) => write.version)).toEqual([version]);
    expect(plan.skipped).toEqual({ [RepairSkipCodes.unstampedSource]: 1 });
  });

  it('copies source tombstones with the identity transform, skips them through a remapping one', () => {
    const tombstone: Item = {
      pk: { S: 't' },
      [names.version]: {
        S: encodeVersion({ physicalMs: 1_700_000_000_000, logical: 0, origin: 'eu-west-1' }),
      },
      [names.deleted]: { BOOL: true },
      [names.expires]: { N: '1999999999' },
    };
    const copied = planBackfillPage([tombstone], { ...base, compareVersions: true });
    expect(copied.writes[0]!.item[names.deleted]).toEqual({ BOOL: true });
    const remapped = planBackfillPage([tombstone], {
      ...base,
      compareVersions: false,
      transform: (item) => [{ ...item, pk: { S: `X#${(item.pk as { S: string }).S}` } }],
    });
    expect(remapped.writes).toEqual([]);
    expect(remapped.skipped).toEqual({ [TOMBSTONE_NOT_TRANSFORMED]: 1 });
  });

  it('writes every output of a transform that turns one item into several', () => {
    const plan = planBackfillPage([{ pk: { S: 'o1' }, lines: { N: '3' } }], {
      ...base,
      compareVersions: false,
      transform: (item) => [0, 1, 2].map((n) => ({ pk: { S: `${(item.pk as { S: string }).S}#${n}` } })),
    });
    expect(plan.writes.map((write) => write.item.pk)).toEqual([{ S: 'o1#0' }, { S: 'o1#1' }, { S: 'o1#2' }]);
    expect(new Set(plan.writes.map((write) => write.version)).size).toBe(1);
  });
});
