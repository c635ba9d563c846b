import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partitionOf } from '../../../tools/verify/_internals/partitionOf.js';
import {
  formatEntryLine,
  keyIdOfLine,
  parseSpillLine,
  sameObservation,
} from '../../../tools/verify/_internals/spillLine.js';
import { formatReport } from '../../../tools/verify/formatReport.js';
import type { VerifyReport } from '../../../tools/verify/types.js';
import { checkProperty } from '../../helpers/laws.js';

describe('partitionOf', () => {
  it('is deterministic and in range', () => {
    checkProperty(
      fc.property(
        fc.string(),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 4096 }),
        (key, level, fanout) => {
          const partition = partitionOf(key, level, fanout);
          expect(partition).toBe(partitionOf(key, level, fanout));
          expect(partition).toBeGreaterThanOrEqual(0);
          expect(partition).toBeLessThan(fanout);
        },
      ),
    );
  });

  it('spreads keys evenly, and a partition split at the next level spreads evenly again', () => {
    const keys = Array.from({ length: 64_000 }, (_, i) => JSON.stringify([['pk', 'S', `user#${i}`]]));
    const counts = new Array<number>(64).fill(0);
    for (const key of keys) counts[partitionOf(key, 0, 64)]! += 1;
    expect(Math.max(...counts)).toBeLessThan(1_000 * 1.2);
    const inZero = keys.filter((key) => partitionOf(key, 0, 64) === 0);
    const split = new Array<number>(16).fill(0);
    for (const key of inZero) split[partitionOf(key, 1, 16)]! += 1;
    expect(Math.min(...split)).toBeGreaterThan(0);
    expect(Math.max(...split)).toBeLessThan((inZero.length / 16) * 1.5);
  });
});

describe('spill lines', () => {
  const field = fc.string().filter((text) => !/[\t\n]/.test(text));
  const observation = fc.record({
    state: fc.constantFrom('live' as const, 'tombstone' as const),
    digest: fc.constantFrom('', 'abc', 'abd'),
    version: fc.constantFrom('', 'v1', 'v2'),
  });

  it('round-trip, and two lines are the same observation exactly when key, state, digest and version agree', () => {
    checkProperty(
      fc.property(field, field, observation, observation, field, (keyA, keyB, a, b, sourceKey) => {
        const entry = (keyId: string, seen: typeof a, source: string) => ({
          keyId,
          tombstone: seen.state === 'tombstone',
          digest: seen.digest,
          version: seen.version,
          sourceKey: source,
        });
        const lineA = formatEntryLine(entry(keyA, a, sourceKey));
        const lineB = formatEntryLine(entry(keyB, b, `${sourceKey}x`));
        expect(parseSpillLine(lineA)).toEqual({ keyId: keyA, observation: a, sourceKey });
        expect(keyIdOfLine(lineA)).toBe(keyA);
        const same = keyA === keyB && a.state === b.state && a.digest === b.digest && a.version === b.version;
        expect(sameObservation(lineA, lineB)).toBe(same);
      }),
    );
  });
});

describe('formatReport', () => {
  const report: VerifyReport = {
    from: 'eu-west-1',
    to: 'us-east-1',
    tables: { source: 'orders', target: 'orders' },
    inSync: false,
    counts: { missing: 1, extra: 0, different: 1, settled: 3 },
    pipelineRejected: {},
    scanned: { source: 10, target: 9 },
    live: { source: 10, target: 9 },
    tombstones: { source: 0, target: 0 },
    consumedCapacity: { source: 1.5, target: 1.5, estimated: false },
    settings: {
      segments: 4,
      settleSeconds: 5,
      settleRounds: 3,
      maxRps: 100,
      topology: 'active-active',
      versionsCompared: true,
    },
    method: {
      partitions: 64,
      splits: 0,
      maxEntriesInMemory: 50_000,
      peakEntriesInMemory: 1,
      spilledBytes: 1_000,
      candidates: 5,
      consistentReads: 10,
    },
    durationMs: 1_200,
    itemsPerSecond: 16,
    sample: [
      {
        kind: 'different',
        key: { pk: { S: 'alice@example.com' } },
        keyHash: 'a1b2c3d4e5f6',
        attributes: ['email', 'total'],
        sourceVersion: 'v',
        targetVersion: 'v',
        rechecks: 1,
      },
    ],
  };

  it('prints counts, capacity and differences by key hash and attribute names, never a key', () => {
    const text = formatReport(report).join('\n');
    expect(text).toContain('DRIFT: 2 keys differ');
    expect(text).toContain('settled               3');
    expect(text).toContain('limit 100/s per table');
    expect(text).toContain('a1b2c3d4e5f6  attributes: email, total');
    expect(text).not.toContain('alice');
  });
});
