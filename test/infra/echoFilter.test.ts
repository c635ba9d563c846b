import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeVersion } from '../../conflict/version.js';
import { metadataNamesFor } from '../../core/config/topology.js';
import type { WireItem } from '../../core/types.js';
import { echoFilterPatterns } from '../../infra/echoFilter.js';
import { type ClassifyContext, classifyRecord } from '../../replicator/classifyRecord.js';
import { decodeRecord } from '../../replicator/decodeRecord.js';
import type { StreamRecord } from '../../replicator/types.js';
import { names, type StreamRecordOptions, stamped, streamRecord, version } from '../helpers/factories.js';
import { delivered, matchesPattern } from './eventFilter.js';
import { removeSynthOutputs, synthesise, testConfig } from './helpers.js';

afterAll(removeSynthOutputs);

const key = { pk: { S: 'o#1' } };
const v1 = version(1_700_000_000_000, 0, 'us-east-1');
const v2 = version(1_700_000_000_500, 0, 'eu-west-1');
const context: ClassifyContext = {
  region: 'eu-west-1',
  topology: 'active-active',
  names,
  tombstoneRetentionSeconds: 604_800,
};

/**
 * A record exactly as Lambda delivers it from a DynamoDB stream (NEW_AND_OLD_IMAGES): the
 * replicator in us-east-1 wrote this item into eu-west-1, so it is an echo.
 */
const deliveredEcho: StreamRecord = {
  eventID: '7de3041dd709b024af6f29e4fa13d34c',
  eventName: 'MODIFY',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'eu-west-1',
  dynamodb: {
    ApproximateCreationDateTime: 1_700_000_001,
    Keys: { pk: { S: 'o#1' } },
    NewImage: {
      pk: { S: 'o#1' },
      total: { N: '13' },
      _ds_v: { S: encodeVersion(v2) },
      _ds_rep: { BOOL: true },
    },
    OldImage: { pk: { S: 'o#1' }, total: { N: '12.50' }, _ds_v: { S: encodeVersion(v1) } },
    SequenceNumber: '111100000000017342152617',
    SizeBytes: 142,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
  eventSourceARN: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2024-05-01T10:00:00.000',
} as StreamRecord;

/** The cases: a real stream record shape, whether the filter must deliver it, and why. */
const cases: ReadonlyArray<{
  readonly name: string;
  readonly record: StreamRecord;
  readonly deliver: boolean;
}> = [
  { name: 'an echo as Lambda delivers it (MODIFY, _ds_rep true)', record: deliveredEcho, deliver: false },
  {
    name: 'an echo of a replicated insert (INSERT, _ds_rep true)',
    record: streamRecord({ newImage: stamped(key, v2, { replicated: true }) }),
    deliver: false,
  },
  {
    name: 'an echo of a replicated tombstone (MODIFY to _ds_del true, _ds_rep true)',
    record: streamRecord({
      oldImage: stamped(key, v1),
      newImage: { ...stamped(key, v2, { replicated: true, deleted: true }), _ds_ttl: { N: '1700604800' } },
    }),
    deliver: false,
  },
  {
    name: 'a stamped application write on a replicated item (the helper removed _ds_rep)',
    record: streamRecord({ oldImage: stamped(key, v1, { replicated: true }), newImage: stamped(key, v2) }),
    deliver: true,
  },
  {
    name: 'a stamped application insert',
    record: streamRecord({ newImage: stamped({ ...key, total: { N: '1' } }, v2) }),
    deliver: true,
  },
  {
    name: 'an unstamped insert (no metadata at all)',
    record: streamRecord({ newImage: { ...key, total: { N: '1' } } }),
    deliver: true,
  },
  {
    name: 'a plain DeleteItem (REMOVE)',
    record: streamRecord({ oldImage: stamped(key, v1) }),
    deliver: true,
  },
  {
    name: 'a REMOVE of a replicated item (the old image has _ds_rep true)',
    record: streamRecord({ oldImage: stamped(key, v1, { replicated: true }) }),
    deliver: true,
  },
  {
    name: 'a TTL expiry of a tombstone (REMOVE by the DynamoDB service; the handler skips it)',
    record: streamRecord({ oldImage: stamped(key, v1, { replicated: true, deleted: true }), ttl: true }),
    deliver: true,
  },
  {
    name: 'an item with _ds_rep false',
    record: streamRecord({ newImage: { ...stamped(key, v2), _ds_rep: { BOOL: false } } }),
    deliver: true,
  },
  {
    name: 'an item with _ds_rep of another type (S "true"): not an echo marker',
    record: streamRecord({ newImage: { ...stamped(key, v2), _ds_rep: { S: 'true' } } }),
    deliver: true,
  },
];

const withRep = (options: StreamRecordOptions): StreamRecord => streamRecord(options);

describe('echoFilterPatterns', () => {
  const patterns = echoFilterPatterns('_ds_');

  it.each(cases)('$name: delivered = $deliver', ({ record, deliver }) => {
    expect(delivered(patterns, record)).toBe(deliver);
  });

  it('drops exactly the records the handler classifies as echoes (the handler stays the safety net)', () => {
    for (const { name, record } of cases) {
      const classification = classifyRecord(decodeRecord(record, 0), context);
      const echo = classification.type === 'skip' && classification.reason === 'echo';
      expect({ name, delivered: delivered(patterns, record) }).toEqual({ name, delivered: !echo });
    }
  });

  it('drops an unstamped write on a replicated item at the mapping (the documented trade-off)', () => {
    // The application wrote without the helper: _ds_rep and the old version stay. The handler
    // would reject it loudly (replicator.unstampedWrite); with the filter on it never arrives.
    const record = withRep({
      oldImage: stamped({ ...key, total: { N: '1' } }, v1, { replicated: true }),
      newImage: stamped({ ...key, total: { N: '2' } }, v1, { replicated: true }),
    });
    const classification = classifyRecord(decodeRecord(record, 0), context);
    expect(classification.type === 'reject' && classification.error.code).toBe('replicator.unstampedWrite');
    expect(delivered(patterns, record)).toBe(false);
  });

  it('follows the metadata prefix', () => {
    const custom = echoFilterPatterns('x_');
    const names = metadataNamesFor('x_');
    const echo = streamRecord({
      newImage: { ...key, x_v: { S: encodeVersion(v2) }, [names.replicated]: { BOOL: true } },
    });
    const otherPrefix = streamRecord({ newImage: stamped(key, v2, { replicated: true }) });
    expect(delivered(custom, echo)).toBe(false);
    expect(delivered(custom, otherPrefix)).toBe(true);
  });

  it('uses only leaf matchers on the BOOL value (exists matching does not work on intermediate nodes)', () => {
    expect(patterns).toEqual([
      { eventName: ['REMOVE'] },
      { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { _ds_rep: { BOOL: [{ exists: false }] } } } },
      { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { _ds_rep: { BOOL: [false] } } } },
    ]);
    expect(patterns.length).toBeLessThanOrEqual(5); // Lambda's default limit of filters per mapping
  });
});

describe('the matcher itself', () => {
  it('implements AND within a pattern, OR within a list, exists on leaves, and rejects unknown matchers', () => {
    const event = { a: { b: 'x', c: true, d: { e: 1 } } };
    expect(matchesPattern({ a: { b: ['x'], c: [true] } }, event)).toBe(true);
    expect(matchesPattern({ a: { b: ['x'], c: [false] } }, event)).toBe(false);
    expect(matchesPattern({ a: { b: ['y', 'x'] } }, event)).toBe(true);
    expect(matchesPattern({ a: { z: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ a: { b: [{ exists: true }] } }, event)).toBe(true);
    expect(matchesPattern({ a: { d: [{ exists: true }] } }, event)).toBe(false);
    expect(matchesPattern({ missing: { deeper: [{ exists: false }] } }, event)).toBe(true);
    expect(() => matchesPattern({ a: { b: [{ prefix: 'x' }] } }, event)).toThrow(/unsupported matcher/);
    expect(delivered([], event)).toBe(true);
  });
});

describe('the deployed mapping', () => {
  let filtersOn: object[];
  let filtersOff: unknown;
  let filtersOneWay: object[] | undefined;

  beforeAll(() => {
    const patternsOf = (config: ReturnType<typeof testConfig>) => {
      const mapping = Object.values(
        synthesise(config).templates['eu-west-1']!.findResources('AWS::Lambda::EventSourceMapping'),
      )[0] as { Properties: { FilterCriteria?: { Filters: { Pattern: string }[] } } };
      return mapping.Properties.FilterCriteria?.Filters.map((filter) => JSON.parse(filter.Pattern) as object);
    };
    filtersOn = patternsOf(testConfig({ metadata: { prefix: 'm_' }, deploy: { maskingKeys: false } }))!;
    filtersOff = patternsOf(testConfig({ deploy: { filterEchoes: false, maskingKeys: false } }));
    // filterEchoes is on (the default), but the source of a one-way topology gets no echoes.
    filtersOneWay = patternsOf(
      testConfig({
        topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
        deploy: { maskingKeys: false },
      }),
    );
  });

  it('carries the patterns for the config prefix, and they drop an echo and keep an application write', () => {
    expect(filtersOn).toEqual(echoFilterPatterns('m_'));
    const image = (flags: WireItem) => ({ ...key, m_v: { S: encodeVersion(v2) }, ...flags });
    expect(delivered(filtersOn, streamRecord({ newImage: image({ m_rep: { BOOL: true } }) }))).toBe(false);
    expect(delivered(filtersOn, streamRecord({ newImage: image({}) }))).toBe(true);
  });

  it('has no filter when deploy.filterEchoes is false', () => {
    expect(filtersOff).toBeUndefined();
  });

  it('has no filter on a one-way source: a write there carrying _ds_rep = true is an application write', () => {
    // An item restored or copied back from a replica keeps the replicator's flag; nothing replicates
    // into a one-way source, so no record of its stream is an echo, and each must reach the handler.
    const restored = streamRecord({
      newImage: stamped({ ...key, total: { N: '1' } }, v2, { replicated: true }),
    });
    expect(filtersOneWay).toBeUndefined();
    expect(delivered(filtersOneWay ?? [], restored)).toBe(true);
    const oneWay: ClassifyContext = { ...context, region: 'eu-west-1', topology: 'one-way' };
    expect(classifyRecord(decodeRecord(restored, 0), oneWay).type).toBe('change');
  });
});
