import { describe, expect, it } from 'vitest';
import { metadataNames, metadataNamesFor, parseConfig, peersOf } from '../../../core/config/index.js';

const regions = { a1: { table: 'Orders' }, b1: { table: 'Orders' }, c1: { table: 'Orders' } };

describe('peersOf', () => {
  it('ships from every region to every other in active-active', () => {
    const config = parseConfig({ version: 1, name: 'orders', regions, topology: { type: 'active-active' } });

    expect(peersOf(config, 'a1')).toStrictEqual(['b1', 'c1']);
    expect(peersOf(config, 'c1')).toStrictEqual(['a1', 'b1']);
  });

  it('ships only from the source in one-way', () => {
    const config = parseConfig({
      version: 1,
      name: 'orders',
      regions,
      topology: { type: 'one-way', from: 'b1', to: ['c1', 'a1'] },
    });

    expect(peersOf(config, 'b1')).toStrictEqual(['c1', 'a1']);
    expect(peersOf(config, 'a1')).toStrictEqual([]);
  });
});

describe('metadataNames', () => {
  it('derives the attribute names from the prefix', () => {
    expect(metadataNamesFor('x_')).toStrictEqual({
      version: 'x_v',
      replicated: 'x_rep',
      deleted: 'x_del',
      expires: 'x_ttl',
    });
    expect(metadataNames({ metadata: { prefix: '_ds_' } }).version).toBe('_ds_v');
  });
});
