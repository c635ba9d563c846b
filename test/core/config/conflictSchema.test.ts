import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ConfigIssue, loadConfigFile, parseConfig } from '../../../core/config/index.js';
import { type DynasyncError, ErrorCodes } from '../../../core/errors.js';
import { dynasyncErrorOf } from '../../helpers/laws.js';

const doc = (conflict: unknown, topology: unknown = { type: 'active-active' }) => ({
  version: 1,
  name: 'orders',
  regions: { 'eu-west-1': { table: 'Orders' }, 'us-east-1': { table: 'Orders' } },
  topology,
  conflict,
});

const paths = (error: DynasyncError): string[] => (error.payload.issues as ConfigIssue[]).map((i) => i.path);

describe('conflict config', () => {
  it('applies the merge defaults', () => {
    expect(parseConfig(doc({ strategy: 'merge' })).conflict).toStrictEqual({
      strategy: 'merge',
      attributes: {},
      default: 'lww',
      maxAttempts: 5,
    });
  });

  it('keeps lww exactly as it was', () => {
    expect(parseConfig(doc({ strategy: 'lww' })).conflict).toStrictEqual({ strategy: 'lww' });
  });

  it.each([
    ['an unknown field', { strategy: 'merge', atributes: {} }, 'conflict.atributes'],
    [
      'an unknown attribute merge',
      { strategy: 'merge', attributes: { views: 'sum' } },
      'conflict.attributes.views',
    ],
    ['a bad default', { strategy: 'merge', default: 'first' }, 'conflict.default'],
    ['a zero maxAttempts', { strategy: 'merge', maxAttempts: 0 }, 'conflict.maxAttempts'],
    [
      'an audit sink of an unknown type',
      { strategy: 'merge', audit: { type: 'kafka' } },
      'conflict.audit.type',
    ],
    [
      'a merged metadata attribute',
      { strategy: 'merge', attributes: { _ds_x: 'lww' } },
      'conflict.attributes._ds_x',
    ],
    ['merge fields under lww', { strategy: 'lww', attributes: {} }, 'conflict.attributes'],
  ])('rejects %s with config.invalidField naming the field', (_name, conflict, path) => {
    const error = dynasyncErrorOf(() => parseConfig(doc(conflict)));
    expect(error.code).toBe(ErrorCodes.config.invalidField);
    expect(paths(error)).toContain(path);
  });

  it('rejects merge in a one-way topology', () => {
    const error = dynasyncErrorOf(() =>
      parseConfig(doc({ strategy: 'merge' }, { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] })),
    );
    expect(paths(error)).toContain('conflict.strategy');
  });

  it('resolves a relative merge module against the config file folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dynasync-conflict-'));
    const file = join(dir, 'dynasync.json');
    writeFileSync(file, JSON.stringify(doc({ strategy: 'merge', module: './merge.js' })));
    const config = loadConfigFile(file);
    expect(config.conflict.strategy === 'merge' && config.conflict.module).toBe(join(dir, 'merge.js'));
  });
});
