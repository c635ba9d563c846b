import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersions, decodeVersion, encodeVersion } from '../../../conflict/version.js';
import { metadataNamesFor } from '../../../core/config/topology.js';
import type { Item } from '../../../core/types.js';
import {
  buildRepairInput,
  derivedRepairVersion,
  planRepair,
  predictRepair,
  type RepairContext,
} from '../../../tools/verify/planRepair.js';
import { version as versionArb } from '../../helpers/arbitraries.js';
import { evaluateCondition } from '../../helpers/factories.js';
import { checkProperty } from '../../helpers/laws.js';

const names = metadataNamesFor('_ds_');
const V5 = '001700000000005.000000.eu-west-1';
const V9 = '001700000000009.000000.us-east-1';
const context = (overrides: Partial<RepairContext> = {}): RepairContext => ({
  names,
  compareVersions: true,
  from: 'eu-west-1',
  sourceReadAtMs: 1_750_000_000_700,
  tombstoneRetentionSeconds: 86_400,
  targetKeyNames: ['pk'],
  ...overrides,
});
const item = (version: string | undefined, extra: Item = {}): Item => ({
  pk: { S: 'k' },
  ...(version === undefined ? {} : { [names.version]: { S: version } }),
  ...extra,
});

describe('planRepair', () => {
  it('active-active: puts the source item with its own version and the replication marker', () => {
    const plan = planRepair('different', item(V5, { a: { S: 'x' } }), item(V5, { a: { S: 'y' } }), context());
    expect(plan).toEqual({
      type: 'put',
      action: 'put',
      item: { pk: { S: 'k' }, [names.version]: { S: V5 }, a: { S: 'x' }, [names.replicated]: { BOOL: true } },
      version: V5,
      condition: { type: 'notNewer' },
    });
  });

  it('active-active: skips an unstamped source item, as the replicator rejects it', () => {
    expect(planRepair('missing', item(undefined), undefined, context())).toEqual({
      type: 'skip',
      action: 'put',
      code: 'verify.unstampedSource',
    });
  });

  it('one-way: a missing key gets the lowest version there is; a different one, the lowest of the second before the read', () => {
    const missing = planRepair('missing', item(undefined), undefined, context({ compareVersions: false }));
    expect(missing.type === 'put' && missing.version).toBe(
      `000000000000000.000000.eu-west-1~${'0'.repeat(40)}`,
    );
    const plan = planRepair('different', item(undefined), item(V5), context({ compareVersions: false }));
    expect(plan.type === 'put' && plan.version).toBe(`001749999999000.000000.eu-west-1~${'0'.repeat(40)}`);
    // Any change after the read, even versioned by whole stream seconds, is newer.
    const later = encodeVersion({
      physicalMs: 1_750_000_000_000,
      logical: 0,
      origin: 'eu-west-1',
      sequence: '1',
    });
    expect(
      compareVersions(
        decodeVersion(later),
        decodeVersion(derivedRepairVersion(1_750_000_000_700, 'eu-west-1')),
      ),
    ).toBe(1);
  });

  it('extra with a source tombstone: puts the tombstone', () => {
    const source = item(V9, { [names.deleted]: { BOOL: true }, [names.expires]: { N: '1' } });
    const plan = planRepair('extra', source, item(V5), context());
    expect(plan.type === 'put' && plan.action).toBe('tombstone');
    expect(plan.type === 'put' && plan.item[names.deleted]).toEqual({ BOOL: true });
  });

  it('extra with nothing at the source: a tombstone of the key, only if the target is unchanged', () => {
    const plan = planRepair('extra', undefined, item(V5, { secret: { S: 's' } }), context());
    expect(plan).toMatchObject({
      type: 'put',
      action: 'tombstone',
      condition: { type: 'unchanged', seen: { S: V5 } },
    });
    if (plan.type !== 'put') throw new Error('expected a put');
    expect(Object.keys(plan.item).sort()).toEqual(['_ds_del', '_ds_rep', '_ds_ttl', '_ds_v', 'pk']);
    expect(plan.item[names.expires]).toEqual({ N: String(1_749_999_999 + 86_400) });
  });

  it('extra with nothing at the source: leaves alone a target written after the derived version', () => {
    const recent = encodeVersion({ physicalMs: 1_750_000_000_100, logical: 0, origin: 'us-east-1' });
    expect(planRepair('extra', undefined, item(recent), context())).toEqual({
      type: 'skip',
      action: 'tombstone',
      code: 'verify.targetNewer',
    });
  });
});

describe('buildRepairInput', () => {
  it('never overwrites a newer version: the condition holds exactly when the target is absent, unversioned, older or equal', () => {
    checkProperty(
      fc.property(
        versionArb(),
        fc.option(versionArb(), { nil: undefined }),
        (repairVersion, targetVersion) => {
          const text = encodeVersion(repairVersion);
          const plan = planRepair('missing', item(text), undefined, context());
          if (plan.type !== 'put') throw new Error('expected a put');
          const input = buildRepairInput('t', plan, names);
          const stored = targetVersion === undefined ? undefined : item(encodeVersion(targetVersion));
          const expected = targetVersion === undefined || compareVersions(targetVersion, repairVersion) <= 0;
          expect(evaluateCondition(input, stored)).toBe(expected);
          expect(predictRepair(plan, stored, names)).toBe(expected ? 'wouldRepair' : 'wouldSkip');
        },
      ),
      300,
    );
  });

  it('an unchanged condition compares the version read, or its absence', () => {
    const withVersion = planRepair('extra', undefined, item(V5), context());
    const without = planRepair('extra', undefined, item(undefined), context());
    if (withVersion.type !== 'put' || without.type !== 'put') throw new Error('expected puts');
    expect(buildRepairInput('t', withVersion, names)).toMatchObject({
      ConditionExpression: '#v = :seen',
      ExpressionAttributeValues: { ':seen': { S: V5 } },
    });
    expect(evaluateCondition(buildRepairInput('t', withVersion, names), item(V5))).toBe(true);
    expect(evaluateCondition(buildRepairInput('t', withVersion, names), item(V9))).toBe(false);
    expect(buildRepairInput('t', without, names).ConditionExpression).toBe('attribute_not_exists(#v)');
  });
});
