import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../core/config/loadConfig.js';
import { ErrorCodes } from '../../../core/errors.js';
import { runInit } from '../../../tools/init/command.js';
import { planInit, renderConfig } from '../../../tools/init/renderConfig.js';
import { dynasyncErrorOf } from '../../helpers/laws.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'dynasync-init-'));

describe('dynasync init', () => {
  it.each([
    ['one-way', { type: 'one-way', from: 'eu-west-1', to: ['us-east-1', 'ap-south-1'] }],
    ['active-active', { type: 'active-active' }],
  ])('writes a %s config that the real loader accepts', (topology, expected) => {
    // Prepare
    const out = join(scratch(), 'dynasync.json');

    // Act
    runInit({ topology, regions: 'eu-west-1,us-east-1,ap-south-1', table: 'orders', out });
    const config = loadConfigFile(out);

    // Assess
    expect(readFileSync(out, 'utf8')).toMatch(/^\/\/ dynasync config/);
    expect(config.topology).toStrictEqual(expected);
    expect(Object.keys(config.regions)).toStrictEqual(['eu-west-1', 'us-east-1', 'ap-south-1']);
    expect(config.regions['eu-west-1']).toStrictEqual({ table: 'orders' });
    expect(config.deploy?.table).toStrictEqual({ mode: 'create', partitionKey: { name: 'pk', type: 'S' } });
  });

  it('suffixes the table with the region where regions share an endpoint (one DynamoDB Local with -sharedDb)', () => {
    // Prepare
    const out = join(scratch(), 'dynasync.json');

    // Act
    runInit({
      regions: 'eu-west-1,us-east-1,ap-south-1',
      table: 'orders',
      endpointUrl: ['http://127.0.0.1:8000', 'ap-south-1=http://127.0.0.1:8001'],
      sortKey: 'sk:N',
      out,
    });
    const config = loadConfigFile(out);

    // Assess
    expect(config.regions).toStrictEqual({
      'eu-west-1': { table: 'orders-eu-west-1', endpoint: 'http://127.0.0.1:8000' },
      'us-east-1': { table: 'orders-us-east-1', endpoint: 'http://127.0.0.1:8000' },
      'ap-south-1': { table: 'orders', endpoint: 'http://127.0.0.1:8001' },
    });
    expect(config.deploy?.table).toMatchObject({ sortKey: { name: 'sk', type: 'N' } });
    expect(readFileSync(out, 'utf8')).toContain('-sharedDb');
  });

  it('writes the file with mode 0600, also when --force overwrites a file others could read', () => {
    // Prepare
    const out = join(scratch(), 'dynasync.json');
    writeFileSync(out, 'old');
    chmodSync(out, 0o644);

    // Act
    runInit({ regions: 'a-1,b-1', table: 'orders', out, force: true });

    // Assess
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(loadConfigFile(out).name).toBe('dynasync');
  });

  it('refuses to overwrite an existing file without --force, and leaves it as it was', () => {
    // Prepare
    const out = join(scratch(), 'dynasync.json');
    writeFileSync(out, '{"mine": true}');

    // Act
    const error = dynasyncErrorOf(() => runInit({ regions: 'a-1,b-1', table: 'orders', out }));

    // Assess
    expect(error.code).toBe(ErrorCodes.init.fileExists);
    expect(readFileSync(out, 'utf8')).toBe('{"mine": true}');
  });

  it.each([
    [{ topology: 'star' }, '--topology'],
    [{ regions: 'eu-west-1' }, '--regions'],
    [{ regions: 'a-1,a-1' }, '--regions'],
    [{ endpointUrl: ['c-1=http://127.0.0.1:8000'] }, '--endpoint-url'],
    [{ endpointUrl: ['http://127.0.0.1:8000', 'http://127.0.0.1:8001'] }, '--endpoint-url'],
    [{ partitionKey: 'pk' }, '--partition-key'],
    [{ sortKey: 'sk:X' }, '--sort-key'],
  ])('rejects %o naming %s', (override, option) => {
    const error = dynasyncErrorOf(() => planInit({ regions: 'a-1,b-1', table: 'orders', ...override }));
    expect([ErrorCodes.init.invalidOption, ErrorCodes.tables.invalidOption]).toContain(error.code);
    expect(error.payload.option).toBe(option);
  });

  it('rejects a bad table name through the config loader, naming the field, and writes nothing', () => {
    // Prepare
    const out = join(scratch(), 'dynasync.json');

    // Act
    const error = dynasyncErrorOf(() => runInit({ regions: 'a-1,b-1', table: 'x', out }));

    // Assess
    expect(error.code).toBe(ErrorCodes.config.invalidField);
    expect(error.payload.path).toBe('regions.a-1.table');
    expect(() => statSync(out)).toThrow();
  });

  it('quotes names with JSON escapes, so a key name with ":" or quotes survives', () => {
    // Act
    const text = renderConfig(
      planInit({ regions: 'a-1,b-1', table: 'orders', partitionKey: 'we"ird:key:S' }),
    );

    // Assess
    expect(text).toContain('"partitionKey": { "name": "we\\"ird:key", "type": "S" }');
  });
});
