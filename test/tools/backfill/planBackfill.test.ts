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
const base = {
  names,
  from: 'eu-west-1',
  tombstoneRetentionSeconds: 7 * 86_400,
  targetKeyNames: ['pk'],
};

const versionOf = (item: Item): string => (item[names.version] as { S: string }).S;

describe('planBackfillPage', () => {
  it('one-way: stamps the lowest version there is, and the replication marker', () => {
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
    expect(versionOf(write.item)).toBe(`${'0'.repeat(15)}.000000.eu-west-1~${'0'.repeat(40)}`);
    expect(write.version).toBe(versionOf(write.item));
  });

  it('one-way: every version replication derives from the stream is newer, whatever its clock says', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.bigInt({ min: 1n, max: 10n ** 30n }),
        fc.constantFrom(1, 1_000, 60_000),
        (atMs, sequence, precisionMs) => {
          const plan = planBackfillPage([{ pk: { S: 'k' } }], { ...base, compareVersions: false });
          const backfilled = tryDecodeVersion(plan.writes[0]!.version)!;
          // Stream times are ms (`run`), whole seconds (Lambda) or whole minutes (DynamoDB Local).
          const live = streamVersion(
            Math.floor(atMs / precisionMs) * precisionMs,
            'eu-west-1',
            sequence.toString(),
          );
          expect(compareVersions(live, backfilled)).toBeGreaterThan(0);
          expect(plan.writes[0]!.version < encodeVersion(live)).toBe(true); // as DynamoDB compares the text
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
