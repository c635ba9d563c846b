import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ConfigIssue,
  loadConfigFile,
  loadConfigFromEnv,
  parseConfig,
} from '../../../core/config/index.js';
import { type DynasyncError, ErrorCodes } from '../../../core/errors.js';
import { dynasyncErrorOf } from '../../helpers/laws.js';

const minimal = () => ({
  version: 1,
  name: 'orders',
  regions: { 'eu-west-1': { table: 'Orders' }, 'us-east-1': { table: 'Orders' } },
  topology: { type: 'active-active' },
});

const failure = dynasyncErrorOf;

const issuePaths = (error: DynasyncError): string[] =>
  (error.payload.issues as ConfigIssue[]).map((issue) => issue.path);

describe('parseConfig', () => {
  it('parses a minimal config and applies every default', () => {
    // Act
    const config = parseConfig(minimal());

    // Assess
    expect(config.conflict).toStrictEqual({ strategy: 'lww' });
    expect(config.metadata).toStrictEqual({ prefix: '_ds_' });
    expect(config.tombstones).toStrictEqual({ retentionDays: 7 });
    expect(config.deadLetter).toStrictEqual({ type: 'file', dir: '.dynasync' });
    expect(config.replicator).toStrictEqual({
      batchSize: 100,
      concurrency: 32,
      baseDelayMs: 25,
      maxDelayMs: 2_000,
      timeBudgetMarginMs: 1_500,
      batchTimeoutMs: 60_000,
      startingPosition: 'TRIM_HORIZON',
      pollIntervalMs: 100,
      checkpointDir: '.dynasync',
      maxClockSkewMs: 300_000,
    });
    expect(config.configVersion).toMatch(/^[0-9a-f]{12}$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('parses a one-way config with endpoints', () => {
    const config = parseConfig({
      ...minimal(),
      regions: {
        'eu-west-1': { table: 'Orders', endpoint: 'http://127.0.0.1:8001', awsRegion: 'eu-west-1' },
        'us-east-1': { table: 'Orders', endpoint: 'http://127.0.0.1:8002' },
      },
      topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
    });

    expect(config.topology).toStrictEqual({ type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] });
  });

  it('gives the same config the same configVersion and a different config another', () => {
    const a = parseConfig(minimal());
    const b = parseConfig(minimal());
    const c = parseConfig({ ...minimal(), name: 'orders2' });

    expect(a.configVersion).toBe(b.configVersion);
    expect(c.configVersion).not.toBe(a.configVersion);
  });

  it('hashes only the runtime sections: changing deploy keeps the configVersion, changing a runtime section changes it', () => {
    // Prepare
    const plain = parseConfig(minimal());

    // Act
    const deployed = parseConfig({
      ...minimal(),
      deploy: { lambda: { memoryMb: 1024 }, maskingKeys: false },
    });
    const redeployed = parseConfig({ ...minimal(), deploy: { lambda: { memoryMb: 2048 } } });
    const tuned = parseConfig({ ...minimal(), replicator: { timeBudgetMarginMs: 12_345 } });

    // Assess: `dynasync run` (the file with deploy) and the Lambda (the same file without it) agree
    expect(deployed.configVersion).toBe(plain.configVersion);
    expect(redeployed.configVersion).toBe(plain.configVersion);
    expect(tuned.configVersion).not.toBe(plain.configVersion);
  });

  it.each<[string, (doc: Record<string, unknown>) => unknown, string]>([
    ['a misspelled top-level field', (doc) => ({ ...doc, topolgy: doc.topology }), 'topolgy'],
    [
      'a misspelled region field',
      (doc) => ({
        ...doc,
        regions: { ...(doc.regions as object), 'ap-south-1': { table: 'Orders', tabel: 'x' } },
      }),
      'regions.ap-south-1.tabel',
    ],
    [
      'a bad region name',
      (doc) => ({ ...doc, regions: { ...(doc.regions as object), EU_West: { table: 'Orders' } } }),
      'regions.EU_West',
    ],
    [
      'a bad table name',
      (doc) => ({ ...doc, regions: { ...(doc.regions as object), 'eu-west-1': { table: 'x' } } }),
      'regions.eu-west-1.table',
    ],
    [
      'one-way to an unknown region',
      (doc) => ({ ...doc, topology: { type: 'one-way', from: 'eu-west-1', to: ['ap-south-1'] } }),
      'topology.to[0]',
    ],
    [
      'one-way from an unknown region',
      (doc) => ({ ...doc, topology: { type: 'one-way', from: 'ap-south-1', to: ['us-east-1'] } }),
      'topology.from',
    ],
    [
      'one-way to the source itself',
      (doc) => ({ ...doc, topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1', 'eu-west-1'] } }),
      'topology.to[1]',
    ],
    [
      'one-way to nobody',
      (doc) => ({ ...doc, topology: { type: 'one-way', from: 'eu-west-1', to: [] } }),
      'topology.to',
    ],
    [
      'one-way to a region twice',
      (doc) => ({ ...doc, topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1', 'us-east-1'] } }),
      'topology.to',
    ],
    ['an unknown topology type', (doc) => ({ ...doc, topology: { type: 'ring' } }), 'topology.type'],
    ['one region only', (doc) => ({ ...doc, regions: { 'eu-west-1': { table: 'Orders' } } }), 'regions'],
    [
      'a bad endpoint URL',
      (doc) => ({
        ...doc,
        regions: { ...(doc.regions as object), 'eu-west-1': { table: 'Orders', endpoint: 'not a url' } },
      }),
      'regions.eu-west-1.endpoint',
    ],
    [
      'two regions on one table',
      (doc) => ({
        ...doc,
        regions: {
          a1: { table: 'Orders', endpoint: 'http://127.0.0.1:8000' },
          b1: { table: 'Orders', endpoint: 'http://127.0.0.1:8000' },
        },
      }),
      'regions.b1.table',
    ],
    ['conflict strategy crdt', (doc) => ({ ...doc, conflict: { strategy: 'crdt' } }), 'conflict.strategy'],
    ['version 2', (doc) => ({ ...doc, version: 2 }), 'version'],
    ['a bad name', (doc) => ({ ...doc, name: '1 orders' }), 'name'],
    ['a bad metadata prefix', (doc) => ({ ...doc, metadata: { prefix: 'a-b' } }), 'metadata.prefix'],
    ['a zero batch size', (doc) => ({ ...doc, replicator: { batchSize: 0 } }), 'replicator.batchSize'],
    [
      'a fractional concurrency',
      (doc) => ({ ...doc, replicator: { concurrency: 1.5 } }),
      'replicator.concurrency',
    ],
    [
      'a bad starting position',
      (doc) => ({ ...doc, replicator: { startingPosition: 'AT_TIMESTAMP' } }),
      'replicator.startingPosition',
    ],
    [
      'a clock skew allowance that is not a number',
      (doc) => ({ ...doc, replicator: { maxClockSkewMs: '5m' } }),
      'replicator.maxClockSkewMs',
    ],
    [
      'a clock skew allowance below one second',
      (doc) => ({ ...doc, replicator: { maxClockSkewMs: 10 } }),
      'replicator.maxClockSkewMs',
    ],
    [
      'a retention of 0 days',
      (doc) => ({ ...doc, tombstones: { retentionDays: 0 } }),
      'tombstones.retentionDays',
    ],
    ['a dead-letter type kafka', (doc) => ({ ...doc, deadLetter: { type: 'kafka' } }), 'deadLetter.type'],
    [
      'an SQS dead-letter queue that is not a URL',
      (doc) => ({ ...doc, deadLetter: { type: 'sqs', queues: { 'eu-west-1': 'dlq' } } }),
      'deadLetter.queues.eu-west-1',
    ],
  ])('rejects %s with config.invalidField at the right path', (_name, edit, path) => {
    // Act
    const error = failure(() => parseConfig(edit(minimal()), 'dynasync.json'));

    // Assess
    expect(error.code).toBe(ErrorCodes.config.invalidField);
    expect(error.payload.source).toBe('dynasync.json');
    expect(issuePaths(error)).toContain(path);
  });

  it('lists every field at fault, not only the first', () => {
    const error = failure(() =>
      parseConfig({ ...minimal(), name: '', conflict: { strategy: 'crdt' }, replicator: { batchSize: 0 } }),
    );

    expect(issuePaths(error)).toEqual(
      expect.arrayContaining(['name', 'conflict.strategy', 'replicator.batchSize']),
    );
  });

  it.each([null, 'text', [], 42])('rejects a document that is not an object (%j)', (document) => {
    expect(failure(() => parseConfig(document)).code).toBe(ErrorCodes.config.invalidField);
  });
});

describe('loadConfigFile and loadConfigFromEnv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dynasync-config-'));

  it('reads and validates a file', () => {
    const path = join(dir, 'good.json');
    writeFileSync(path, JSON.stringify(minimal()));

    expect(loadConfigFile(path).name).toBe('orders');
  });

  it('reports a missing file and bad JSON as config.unreadable', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');

    expect(failure(() => loadConfigFile(join(dir, 'missing.json'))).code).toBe(ErrorCodes.config.unreadable);
    expect(failure(() => loadConfigFile(bad)).code).toBe(ErrorCodes.config.unreadable);
  });

  it('reports an invalid file as config.invalidField naming the file', () => {
    const path = join(dir, 'invalid.json');
    writeFileSync(path, JSON.stringify({ ...minimal(), version: 3 }));

    const error = failure(() => loadConfigFile(path));

    expect(error.code).toBe(ErrorCodes.config.invalidField);
    expect(error.payload.source).toBe(path);
  });

  it('prefers DYNASYNC_CONFIG, falls back to DYNASYNC_CONFIG_FILE, and fails without either', () => {
    const path = join(dir, 'env.json');
    writeFileSync(path, JSON.stringify({ ...minimal(), name: 'fromfile' }));

    expect(
      loadConfigFromEnv({ DYNASYNC_CONFIG: JSON.stringify(minimal()), DYNASYNC_CONFIG_FILE: path }).name,
    ).toBe('orders');
    expect(loadConfigFromEnv({ DYNASYNC_CONFIG_FILE: path }).name).toBe('fromfile');
    expect(failure(() => loadConfigFromEnv({})).code).toBe(ErrorCodes.config.unreadable);
    expect(failure(() => loadConfigFromEnv({ DYNASYNC_CONFIG: '{' })).code).toBe(
      ErrorCodes.config.unreadable,
    );
  });
});
