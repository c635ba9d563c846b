import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import { ErrorCodes } from '../../../core/errors.js';
import {
  parseKeyOption,
  planTables,
  resolveKeySpec,
  toExistingTable,
} from '../../../tools/tables/planTables.js';
import type { ExistingTable, KeySpec } from '../../../tools/tables/types.js';
import { dynasyncErrorOf } from '../../helpers/laws.js';

const oneWay = (extra: Record<string, unknown> = {}) =>
  parseConfig({
    version: 1,
    name: 'orders',
    regions: { src: { table: 'orders-src' }, dst: { table: 'orders-dst' } },
    topology: { type: 'one-way', from: 'src', to: ['dst'] },
    ...extra,
  });

const PK: KeySpec = { partitionKey: { name: 'pk', type: 'S' } };

const table = (overrides: Partial<ExistingTable> = {}): ExistingTable => ({
  keys: [{ name: 'pk', type: 'S' }],
  streamViewType: 'NEW_AND_OLD_IMAGES',
  ttlAttribute: '_ds_ttl',
  ...overrides,
});

describe('planTables', () => {
  it('creates a missing table with the key and TTL on the tombstone expiry attribute of the prefix', () => {
    const plans = planTables(oneWay({ metadata: { prefix: 'x_' } }), PK, {
      src: table({ ttlAttribute: 'x_ttl' }),
    });
    expect(plans).toStrictEqual([
      { action: 'fits', region: 'src', table: 'orders-src', notes: [] },
      { action: 'create', region: 'dst', table: 'orders-dst', keys: PK, ttlAttribute: 'x_ttl' },
    ]);
  });

  it('lets a one-way replica fit without a stream, but not the source', () => {
    const plans = planTables(oneWay(), PK, {
      src: table({ streamViewType: undefined }),
      dst: table({ streamViewType: undefined }),
    });
    expect(plans.map((plan) => plan.action)).toStrictEqual(['misfit', 'fits']);
    expect(plans[0]).toMatchObject({ mismatches: [expect.stringMatching(/no stream/)] });
  });

  it('calls a wrong key, key type, sort key or stream view type a misfit, each named', () => {
    const plans = planTables(oneWay(), PK, {
      src: table({ keys: [{ name: 'id', type: 'S' }], streamViewType: 'KEYS_ONLY' }),
      dst: table({ keys: [{ name: 'pk', type: 'N' }] }),
    });
    expect(plans[0]).toMatchObject({
      action: 'misfit',
      mismatches: [
        'key is id (S, partition key), expected pk (S, partition key)',
        expect.stringMatching(/view type is KEYS_ONLY/),
      ],
    });
    expect(plans[1]).toMatchObject({ action: 'misfit', mismatches: [expect.stringMatching(/pk \(N/)] });
    const sorted = planTables(oneWay(), PK, {
      src: table({
        keys: [
          { name: 'pk', type: 'S' },
          { name: 'sk', type: 'N' },
        ],
      }),
    });
    expect(sorted[0]?.action).toBe('misfit');
  });

  it('notes TTL off or on another attribute, but the table still fits', () => {
    const plans = planTables(oneWay(), PK, {
      src: table({ ttlAttribute: undefined }),
      dst: table({ ttlAttribute: 'expiresAt' }),
    });
    expect(plans).toMatchObject([
      { action: 'fits', notes: [expect.stringMatching(/TTL is off.*update-time-to-live/)] },
      { action: 'fits', notes: [expect.stringMatching(/"expiresAt"/)] },
    ]);
  });
});

describe('resolveKeySpec', () => {
  const create = { deploy: { table: { mode: 'create', partitionKey: { name: 'id', type: 'N' } } } };

  it('takes the options first, then deploy.table, then an existing table (the source first)', () => {
    expect(resolveKeySpec(oneWay(), { partitionKey: { name: 'pk', type: 'S' } }, {})).toStrictEqual({
      keys: PK,
      source: 'options',
    });
    expect(resolveKeySpec(oneWay(create), {}, { src: table() })).toStrictEqual({
      keys: { partitionKey: { name: 'id', type: 'N' } },
      source: 'config',
    });
    expect(
      resolveKeySpec(oneWay(), {}, { dst: table({ keys: [{ name: 'other', type: 'S' }] }), src: table() }),
    ).toStrictEqual({ keys: PK, source: 'existing table' });
  });

  it('rejects options that contradict deploy.table, a sort key alone, and no key at all', () => {
    expect(
      dynasyncErrorOf(() => resolveKeySpec(oneWay(create), { partitionKey: { name: 'pk', type: 'S' } }, {}))
        .code,
    ).toBe(ErrorCodes.tables.invalidOption);
    expect(
      dynasyncErrorOf(() => resolveKeySpec(oneWay(), { sortKey: { name: 'sk', type: 'N' } }, {})).code,
    ).toBe(ErrorCodes.tables.invalidOption);
    expect(dynasyncErrorOf(() => resolveKeySpec(oneWay(), {}, {})).code).toBe(ErrorCodes.tables.noKeySchema);
  });
});

describe('parseKeyOption and toExistingTable', () => {
  it('parses NAME:TYPE (the type in any case; the name may hold ":")', () => {
    expect(parseKeyOption('pk:s', '--partition-key')).toStrictEqual({ name: 'pk', type: 'S' });
    expect(parseKeyOption('a:b:N', '--sort-key')).toStrictEqual({ name: 'a:b', type: 'N' });
    expect(dynasyncErrorOf(() => parseKeyOption(':S', '--sort-key')).payload.option).toBe('--sort-key');
  });

  it('reads the key in HASH, RANGE order whatever order DescribeTable lists them in', () => {
    const existing = toExistingTable(
      {
        KeySchema: [
          { AttributeName: 'sk', KeyType: 'RANGE' },
          { AttributeName: 'pk', KeyType: 'HASH' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'N' },
        ],
        StreamSpecification: { StreamEnabled: false },
      },
      undefined,
    );
    expect(existing).toStrictEqual({
      keys: [
        { name: 'pk', type: 'S' },
        { name: 'sk', type: 'N' },
      ],
      streamViewType: undefined,
      ttlAttribute: undefined,
    });
  });
});
