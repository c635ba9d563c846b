import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeItem } from '../../core/codec.js';
import { parseConfig } from '../../core/config/loadConfig.js';
import { ErrorCodes } from '../../core/errors.js';
import { LocalKeyProvider } from '../../keys/LocalKeyProvider.js';
import { decryptText, decryptValue } from '../../pipeline/maskingCrypto.js';
import type { Pipeline, TransformFunction } from '../../pipeline/types.js';
import { createPipelines } from '../../replicator/createPipelines.js';
import { createReplicator } from '../../replicator/createReplicator.js';
import { letterProtector } from '../../replicator/deadLetter/protectLetter.js';
import { emfMetrics } from '../../replicator/metrics.js';
import { planBatch } from '../../replicator/planBatch.js';
import { processBatch } from '../../replicator/processBatch.js';
import {
  FakeTable,
  fakeWriter,
  MemoryDeadLetterSink,
  names,
  planContext,
  streamRecord,
} from '../helpers/factories.js';

const PII = {
  email: 'ada.lovelace@example.com',
  phone: '+44 20 7946 0958',
  name: 'Ada Augusta King-Noel',
  card: '4111111111111111',
  keyEmail: 'grace.hopper@example.org',
};

const KEY = randomBytes(32).toString('base64');
const keys = () => new LocalKeyProvider({ source: { env: 'K' }, env: { K: KEY } });

const config = (
  deadLetterRecord: 'omit' | 'encrypted' = 'omit',
  extraStages: unknown[] = [],
  targetKey?: string[],
) =>
  parseConfig({
    version: 1,
    name: 'orders',
    regions: {
      'eu-west-1': { table: 'orders' },
      'us-east-1': { table: 'orders' },
      'ap-south-1': { table: 'orders' },
    },
    topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1', 'ap-south-1'] },
    pipelines: {
      'us-east-1': {
        key: ['pk'],
        ...(targetKey === undefined ? {} : { targetKey }),
        deadLetterRecord,
        stages: [
          {
            type: 'mask',
            id: 'pii',
            rules: [
              { path: 'pk', action: 'tokenize' },
              { path: 'email', action: 'tokenize' },
              { path: 'phone', action: 'redact' },
              { path: 'name', action: 'encrypt' },
              { path: 'card', action: 'partial', keepLast: 4 },
              { path: 'blob', action: 'encrypt' },
            ],
          },
          ...extraStages,
        ],
      },
    },
  });

const personal = {
  email: { S: PII.email },
  phone: { S: PII.phone },
  name: { S: PII.name },
  card: { S: PII.card },
  total: { N: '12.50' },
};
const key = (suffix: string) => ({ pk: { S: `${PII.keyEmail}#${suffix}` } });

const contextWith = (pipelines: Readonly<Record<string, Pipeline>>) =>
  planContext({ topology: 'one-way', peers: ['us-east-1', 'ap-south-1'], pipelines });

afterEach(() => vi.restoreAllMocks());

describe('planBatch with pipelines', () => {
  it('masks for the peer with a pipeline only, at the source version, and deletes find the tokenized key', async () => {
    const pipelines = await createPipelines(config(), 'eu-west-1', { keys: keys() });
    const insert = streamRecord({ newImage: { ...key('a'), ...personal } });
    const remove = streamRecord({ oldImage: { ...key('b'), ...personal } });
    const plan = planBatch([insert, remove], contextWith(pipelines));
    const masked = plan.writes.filter((write) => write.peer === 'us-east-1');
    const clear = plan.writes.filter((write) => write.peer === 'ap-south-1');
    expect(clear.map((write) => write.change.item.email)).toEqual([{ S: PII.email }, undefined]);
    expect(JSON.stringify(masked.map((write) => encodeItem(write.change.item)))).not.toMatch(
      /ada|grace|7946|41111111/,
    );
    expect(masked.map((write) => write.change.versionText)).toEqual(
      clear.map((write) => write.change.versionText),
    );
    const [put, tombstone] = masked;
    expect(put!.change.item[names.replicated]).toEqual({ BOOL: true });
    expect(tombstone!.change.tombstone).toBe(true);
    expect(tombstone!.change.item[names.deleted]).toEqual({ BOOL: true });
    const tokenOfB = pipelines['us-east-1']!.apply(
      { ...key('b') },
      { sourceRegion: 'eu-west-1', targetRegion: 'us-east-1' },
    )[0]!.pk;
    expect(tombstone!.change.keys).toEqual({ pk: tokenOfB });
  });

  it('a map that moves the key removes what superseded changes derived, even when coalesced', async () => {
    const transform: TransformFunction = (item) => ({
      id: { S: `${(item.status as { S: string }).S}#${(item.order as { S: string }).S}` },
    });
    const cfg = parseConfig({
      version: 1,
      name: 'orders',
      regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'by-status' } },
      topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
      pipelines: {
        'us-east-1': {
          key: ['pk'],
          targetKey: ['id'],
          stages: [{ type: 'map', id: 'by-status', module: 'm' }],
        },
      },
    });
    const pipelines = await createPipelines(cfg, 'eu-west-1', {
      loadModule: () => Promise.resolve({ transform }),
    });
    const image = (status: string) => ({ pk: { S: 'o1' }, order: { S: 'o1' }, status: { S: status } });
    const records = [
      streamRecord({ oldImage: image('open'), newImage: image('paid'), createdAt: 1_700_000_000 }),
      streamRecord({ oldImage: image('paid'), newImage: image('shipped'), createdAt: 1_700_000_001 }),
    ];
    const plan = planBatch(records, planContext({ topology: 'one-way', peers: ['us-east-1'], pipelines }));
    const summary = plan.writes.map((write) => [
      (write.change.keys.id as { S: string }).S,
      write.change.tombstone,
    ]);
    expect(summary).toEqual([
      ['shipped#o1', false],
      ['paid#o1', true],
      ['open#o1', true],
    ]);
    expect(new Set(plan.writes.map((write) => write.change.versionText)).size).toBe(1);
    expect(plan.writes.every((write) => write.recordIndexes.length === 2)).toBe(true);
  });

  it('a pipeline failure dead-letters the record for that peer only; the other peer still gets it', async () => {
    const pipelines = await createPipelines(config(), 'eu-west-1', { keys: keys() });
    const big = streamRecord({ newImage: { ...key('big'), blob: { S: 'x'.repeat(300 * 1024) } } });
    const plan = planBatch([big], contextWith(pipelines));
    expect(plan.rejected.map((rejection) => [rejection.error.code, rejection.peers])).toEqual([
      [ErrorCodes.pipeline.itemTooLarge, ['us-east-1']],
    ]);
    expect(plan.writes.map((write) => write.peer)).toEqual(['ap-south-1']);
  });

  it('createReplicator refuses a config with pipelines when none were resolved', () => {
    expect(() => createReplicator({ config: config(), region: 'eu-west-1', clients: {} })).toThrow(
      expect.objectContaining({ code: ErrorCodes.pipeline.notResolved }),
    );
  });
});

/** Captures everything written to stdout, stderr and the console (logs and EMF metrics). */
const captureOutput = () => {
  const output: string[] = [];
  const keep = (chunk: unknown) => {
    output.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
    vi.spyOn(console, method).mockImplementation(keep);
  return output;
};

describe('no PII escapes a masking pipeline', () => {
  it('no masked value reaches the replica, a log line, a metric, an error message or a dead letter, on any path', async () => {
    // Prepare: records full of PII on every success and failure path, for both dead-letter settings.
    const captured: string[] = [];
    for (const deadLetterRecord of ['omit', 'encrypted'] as const) {
      const throwing: TransformFunction = (item) => {
        if (item.kind !== undefined) throw new Error(`cannot map ${JSON.stringify(item)}`);
        return item;
      };
      const cfg = config(deadLetterRecord, [{ type: 'map', id: 'reshape', module: 'm' }]);
      const pipelines = await createPipelines(cfg, 'eu-west-1', {
        keys: keys(),
        loadModule: () => Promise.resolve({ transform: throwing }),
      });
      const pipeline = pipelines['us-east-1']!;
      const tokenKey = (suffix: string) =>
        pipeline.keyOf(
          pipeline.apply(key(suffix), { sourceRegion: 'eu-west-1', targetRegion: 'us-east-1' })[0]!,
        );
      const peer = new FakeTable({ region: 'us-east-1' });
      peer.fail('validation', { times: Number.POSITIVE_INFINITY, key: tokenKey('rejected') });
      peer.fail('throttling', { times: Number.POSITIVE_INFINITY, key: tokenKey('throttled') });
      const records = [
        streamRecord({ newImage: { ...key('applied'), ...personal } }), // applied
        streamRecord({
          oldImage: { ...key('applied'), ...personal },
          newImage: { ...key('applied'), ...personal, total: { N: '13' } },
        }), // coalesced update
        streamRecord({ oldImage: { ...key('removed'), ...personal } }), // delete → tombstone at the token
        streamRecord({ newImage: { ...key('rejected'), ...personal } }), // peer rejects → dead letter
        streamRecord({
          newImage: { ...key('big'), ...personal, blob: { S: `${PII.email}${'x'.repeat(300 * 1024)}` } },
        }), // pipeline.itemTooLarge
        streamRecord({ newImage: { ...key('map-throws'), ...personal, kind: { S: 'throw' } } }), // pipeline.mapFailed
        streamRecord({
          newImage: { ...key('malformed'), email: { S: PII.email }, n: { N: `${PII.card}abc` } },
        }), // invalid number
        // Last: records after an unfinished one wait for the redelivery to be dead-lettered.
        streamRecord({ newImage: { ...key('throttled'), ...personal } }), // transient → unfinished
      ];
      const output = captureOutput();
      const logger = new Logger({ serviceName: 'dynasync', logLevel: 'DEBUG' });
      const metrics = emfMetrics('orders', 'eu-west-1');
      const sink = new MemoryDeadLetterSink();
      const failingSink = {
        send: async () => Promise.reject(new Error(`disk full while writing ${PII.email}`)),
      };
      const deps = {
        context: planContext({ topology: 'one-way', peers: ['us-east-1'], pipelines }),
        writer: fakeWriter([peer]),
        logger,
        configVersion: 'test',
        protectLetter: letterProtector(pipelines),
      };

      // Act: once with a working dead-letter sink, once with one that fails (its error text carries PII).
      const result = await processBatch(records, Date.now() + 300, { ...deps, deadLetters: sink });
      metrics.publish(result);
      metrics.publish(await processBatch(records, Date.now() + 300, { ...deps, deadLetters: failingSink }));
      vi.restoreAllMocks();

      // Assess: every path was taken ...
      expect(result.counts.applied).toBeGreaterThanOrEqual(2);
      expect(result.counts.unfinished).toBe(1);
      expect(sink.entries.map((letter) => letter.error.code).sort()).toEqual(
        [
          ErrorCodes.pipeline.itemTooLarge,
          ErrorCodes.pipeline.mapFailed,
          ErrorCodes.replicator.malformedRecord,
          ErrorCodes.replicator.writeRejected,
        ].sort(),
      );
      expect(sink.entries.every((letter) => letter.recordRedacted === true)).toBe(true);
      // ... an authorised reader can open an encrypted dead letter ...
      if (deadLetterRecord === 'encrypted') {
        const sealed = sink.entries.find(
          (letter) => letter.error.code === ErrorCodes.replicator.writeRejected,
        )!.sealedRecord!;
        expect(decryptText(sealed, await keys().resolve())).toContain(PII.email);
        const item = peer.get(tokenKey('applied'))!;
        expect(decryptValue((item.name as { S: string }).S, await keys().resolve())).toEqual({ S: PII.name });
        expect(item.total).toEqual({ N: '13' });
      } else expect(sink.entries.every((letter) => letter.sealedRecord === undefined)).toBe(true);
      expect(peer.get(tokenKey('removed'))?.[names.deleted]).toEqual({ BOOL: true });
      expect(output.join('')).toContain('record dead-lettered');
      captured.push(
        output.join('\n'),
        JSON.stringify(sink.entries),
        JSON.stringify(peer.calls, (_, value) =>
          value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
        ),
        JSON.stringify(peer.stream),
      );
    }
    // ... and nothing captured holds a clear value.
    const everything = captured.join('\n');
    for (const value of [...Object.values(PII), 'ada.lovelace', 'grace.hopper', '41111111'])
      expect(everything).not.toContain(value);
  });
});
