import { describe, expect, it } from 'vitest';
import { PROTOCOL_DOC, PROTOCOL_VERSION } from '../../conflict/protocol.js';
import { compareVersions, decodeVersion, encodeVersion } from '../../conflict/version.js';
import { ErrorCodes } from '../../core/errors.js';
import {
  type Classification,
  type ClassifyContext,
  classifyRecord,
  isTombstone,
} from '../../replicator/classifyRecord.js';
import { decodeRecord } from '../../replicator/decodeRecord.js';
import type { Change } from '../../replicator/types.js';
import { names, type StreamRecordOptions, stamped, streamRecord, version } from '../helpers/factories.js';

const activeActive: ClassifyContext = {
  region: 'eu-west-1',
  topology: 'active-active',
  names,
  tombstoneRetentionSeconds: 604_800,
};
const oneWay: ClassifyContext = { ...activeActive, topology: 'one-way' };

const classify = (options: StreamRecordOptions, context: ClassifyContext, index = 0): Classification =>
  classifyRecord(decodeRecord(streamRecord(options), index), context);

const changeOf = (classification: Classification): Change => {
  if (classification.type !== 'change')
    return expect.fail(`expected a change, got ${JSON.stringify(classification)}`);
  return classification.change;
};

const rejectCode = (classification: Classification): string => {
  if (classification.type !== 'reject')
    return expect.fail(`expected a rejection, got ${classification.type}`);
  return classification.error.code;
};

const key = { pk: { S: 'k1' } };
const v1 = version(1_700_000_000_000, 0, 'us-east-1');
const v2 = version(1_700_000_000_500, 0, 'eu-west-1');

describe('classifyRecord: stamped application writes', () => {
  it('ships a stamped INSERT with its own version', () => {
    // Act
    const change = changeOf(classify({ newImage: stamped({ ...key, a: { S: 'x' } }, v2) }, activeActive));

    // Assess
    expect(change.version).toStrictEqual(v2);
    expect(change.versionText).toBe(encodeVersion(v2));
    expect(change.derived).toBe(false);
    expect(change.tombstone).toBe(false);
    expect(change.item).toStrictEqual({
      ...key,
      a: { S: 'x' },
      [names.version]: { S: encodeVersion(v2) },
      [names.replicated]: { BOOL: true },
    });
  });

  it('ships a stamped MODIFY over a replicated item (the client helper removes the flag)', () => {
    const change = changeOf(
      classify(
        {
          oldImage: stamped({ ...key, a: { S: 'x' } }, v1, { replicated: true }),
          newImage: stamped({ ...key, a: { S: 'y' } }, v2),
        },
        activeActive,
      ),
    );

    expect(change.version).toStrictEqual(v2);
    expect(change.item.a).toStrictEqual({ S: 'y' });
  });

  it('ships a stamped delete marker as a tombstone', () => {
    const change = changeOf(
      classify({ oldImage: stamped(key, v1), newImage: stamped(key, v2, { deleted: true }) }, activeActive),
    );

    expect(change.tombstone).toBe(true);
    expect(isTombstone(change.item, names)).toBe(true);
  });
});

describe('classifyRecord: echoes', () => {
  it('skips a replicator write (replicated flag set and version moved) as an echo', () => {
    const classification = classify(
      {
        oldImage: stamped({ ...key, a: { S: 'x' } }, v1),
        newImage: stamped({ ...key, a: { S: 'y' } }, v2, { replicated: true }),
      },
      activeActive,
    );

    expect(classification).toStrictEqual({ type: 'skip', reason: 'echo' });
  });

  it('skips a replicator INSERT as an echo in active-active', () => {
    expect(classify({ newImage: stamped(key, v2, { replicated: true }) }, activeActive)).toStrictEqual({
      type: 'skip',
      reason: 'echo',
    });
  });

  it('ships every write of a one-way source, even one that looks replicated: nothing replicates into a source', () => {
    const change = changeOf(classify({ newImage: stamped(key, v2, { replicated: true }) }, oneWay));

    expect(change.derived).toBe(true);
  });

  it('skips a replicated tombstone as an echo', () => {
    expect(
      classify(
        { oldImage: stamped(key, v1), newImage: stamped(key, v2, { replicated: true, deleted: true }) },
        activeActive,
      ),
    ).toStrictEqual({ type: 'skip', reason: 'echo' });
  });

  it('does not take an application UpdateItem that leaves the metadata of a replicated item untouched for an echo (active-active: rejected)', () => {
    // Prepare: the item came from a peer (v1, replicated); the application changed `a` and nothing else.
    const options = {
      oldImage: stamped({ ...key, a: { S: 'x' } }, v1, { replicated: true }),
      newImage: stamped({ ...key, a: { S: 'y' } }, v1, { replicated: true }),
    };

    // Act
    const classification = classify(options, activeActive, 5);

    // Assess
    expect(rejectCode(classification)).toBe(ErrorCodes.replicator.unstampedWrite);
    expect(classification.type === 'reject' && classification.error.payload).toMatchObject({
      index: 5,
      region: 'eu-west-1',
      eventName: 'MODIFY',
    });
  });

  it('explains an unstamped active-active write: the dead letter names the protocol page, its version and the helpers', () => {
    // Act: a raw PutItem with no version at all.
    const classification = classify({ newImage: { ...key, a: { S: 'y' } } }, activeActive, 2);

    // Assess
    expect(rejectCode(classification)).toBe(ErrorCodes.replicator.unstampedWrite);
    const error = classification.type === 'reject' ? classification.error : expect.fail('expected a reject');
    expect(error.payload).toMatchObject({ protocol: PROTOCOL_DOC, protocolVersion: PROTOCOL_VERSION });
    for (const named of [
      PROTOCOL_DOC,
      `v${PROTOCOL_VERSION}`,
      'dynasync/client',
      'clients/python',
      'protocol/vectors',
    ])
      expect(error.message).toContain(named);
  });

  it('does not take that UpdateItem for an echo in one-way either: ships it with its stream version', () => {
    // Prepare
    const options = {
      oldImage: stamped({ ...key, a: { S: 'x' } }, v1, { replicated: true }),
      newImage: stamped({ ...key, a: { S: 'y' } }, v1, { replicated: true }),
      sequenceNumber: '300000000000000000001',
      createdAt: v1.physicalMs / 1000 - 10,
    };

    // Act
    const change = changeOf(classify(options, oneWay));

    // Assess: the stream decides in one-way; the item's stamp is ignored.
    expect(change.derived).toBe(true);
    expect(change.version.physicalMs).toBe(v1.physicalMs - 10_000);
    expect(change.version.sequence).toBe('300000000000000000001');
    expect(change.version.origin).toBe('eu-west-1');
    expect(change.item.a).toStrictEqual({ S: 'y' });
    expect(decodeVersion((change.item[names.version] as { S: string }).S)).toStrictEqual(change.version);
  });
});

describe('classifyRecord: unstamped writes', () => {
  it.each<[string, StreamRecordOptions]>([
    ['an INSERT without a version', { newImage: { ...key, a: { S: 'x' } } }],
    [
      'a MODIFY that keeps the version',
      { oldImage: stamped(key, v1), newImage: stamped({ ...key, a: { S: 'x' } }, v1) },
    ],
    ['a MODIFY that moves the version back', { oldImage: stamped(key, v2), newImage: stamped(key, v1) }],
    ['a MODIFY that drops the version', { oldImage: stamped(key, v1), newImage: { ...key, a: { S: 'x' } } }],
  ])('rejects %s in active-active (replicator.unstampedWrite)', (_name, options) => {
    expect(rejectCode(classify(options, activeActive))).toBe(ErrorCodes.replicator.unstampedWrite);
  });

  it('derives a version from the stream in one-way: stream time, logical 0, origin, sequence', () => {
    const change = changeOf(
      classify(
        { newImage: { ...key, a: { S: 'x' } }, createdAt: 1_700_000_123, sequenceNumber: '42' },
        oneWay,
      ),
    );

    expect(change.version).toStrictEqual({
      physicalMs: 1_700_000_123_000,
      logical: 0,
      origin: 'eu-west-1',
      sequence: '42',
    });
    expect(change.derived).toBe(true);
  });

  it('ignores stamps in one-way: a client-stamped write and a raw write order by their stream position', () => {
    // The client's clock runs ahead of the stream: its stamp must not outrank a later raw write.
    const stampedFirst = changeOf(
      classify({ newImage: stamped(key, v2), createdAt: 1_700_000_000, sequenceNumber: '100' }, oneWay),
    );
    const rawLater = changeOf(
      classify(
        {
          oldImage: stamped(key, v2),
          newImage: { ...key, a: { S: 'z' } },
          createdAt: 1_700_000_000,
          sequenceNumber: '101',
        },
        oneWay,
      ),
    );

    expect(compareVersions(rawLater.version, stampedFirst.version)).toBeGreaterThan(0);
  });

  it('rejects a NewImage whose version is not a dynasync version in active-active, naming the path', () => {
    const classification = classify(
      { newImage: { ...key, [names.version]: { S: 'yesterday' } } },
      activeActive,
      4,
    );

    expect(rejectCode(classification)).toBe(ErrorCodes.replicator.malformedRecord);
    expect(classification.type === 'reject' && classification.error.payload).toMatchObject({
      index: 4,
      path: `NewImage.${names.version}`,
    });
  });
});

describe('classifyRecord: removes', () => {
  it('skips a REMOVE by TTL', () => {
    const options = { oldImage: stamped(key, v1, { deleted: true }), ttl: true };

    expect(classify(options, activeActive)).toStrictEqual({ type: 'skip', reason: 'ttl' });
    expect(classify(options, oneWay)).toStrictEqual({ type: 'skip', reason: 'ttl' });
  });

  it('skips the purge of a delete marker', () => {
    expect(classify({ oldImage: stamped(key, v1, { deleted: true }) }, activeActive)).toStrictEqual({
      type: 'skip',
      reason: 'tombstonePurge',
    });
  });

  it('rejects a raw DeleteItem in active-active', () => {
    expect(rejectCode(classify({ oldImage: stamped({ ...key, a: { S: 'x' } }, v1) }, activeActive))).toBe(
      ErrorCodes.replicator.unstampedWrite,
    );
  });

  it('turns a raw DeleteItem into a tombstone with its stream version in one-way', () => {
    // Prepare
    const options = {
      oldImage: stamped({ ...key, a: { S: 'x' } }, v1),
      createdAt: 1_700_000_000,
      sequenceNumber: '77',
    };

    // Act
    const change = changeOf(classify(options, oneWay));

    // Assess
    expect(change.tombstone).toBe(true);
    expect(change.derived).toBe(true);
    expect(change.version).toStrictEqual({
      physicalMs: 1_700_000_000_000,
      logical: 0,
      origin: 'eu-west-1',
      sequence: '77',
    });
    expect(change.item).toStrictEqual({
      ...key,
      [names.version]: { S: change.versionText },
      [names.replicated]: { BOOL: true },
      [names.deleted]: { BOOL: true },
      [names.expires]: { N: String(Math.floor(change.version.physicalMs / 1000) + 604_800) },
    });
  });

  it('derives the same version for a redelivered raw delete', () => {
    const options = { oldImage: { ...key, a: { S: 'x' } }, createdAt: 1_700_000_000, sequenceNumber: '78' };

    expect(changeOf(classify(options, oneWay)).versionText).toBe(
      changeOf(classify(options, oneWay)).versionText,
    );
  });
});

describe('classifyRecord: versions from the future', () => {
  const nowMs = 1_700_000_000_000;
  const skewed: ClassifyContext = { ...activeActive, now: () => nowMs, maxClockSkewMs: 300_000 };

  it('rejects a stamped version more than maxClockSkewMs ahead with replicator.versionFromFuture', () => {
    const years = version(nowMs + 3 * 365 * 86_400_000);
    const justPast = version(nowMs + 300_001);

    const far = classify({ newImage: stamped(key, years) }, skewed, 4);
    const near = classify({ newImage: stamped(key, justPast) }, skewed);

    expect(rejectCode(far)).toBe(ErrorCodes.replicator.versionFromFuture);
    expect(rejectCode(near)).toBe(ErrorCodes.replicator.versionFromFuture);
    if (far.type === 'reject')
      expect(far.error.payload).toMatchObject({ index: 4, path: 'NewImage._ds_v', maxClockSkewMs: 300_000 });
  });

  it('accepts a version up to maxClockSkewMs ahead (clocks drift a little)', () => {
    const atLimit = classify({ newImage: stamped(key, version(nowMs + 300_000)) }, skewed);

    expect(changeOf(atLimit).version.physicalMs).toBe(nowMs + 300_000);
  });

  it('applies the default allowance of five minutes when none is configured', () => {
    const context: ClassifyContext = { ...activeActive, now: () => nowMs };

    expect(changeOf(classify({ newImage: stamped(key, version(nowMs + 299_000)) }, context)).derived).toBe(
      false,
    );
    expect(rejectCode(classify({ newImage: stamped(key, version(nowMs + 301_000)) }, context))).toBe(
      ErrorCodes.replicator.versionFromFuture,
    );
  });
});
