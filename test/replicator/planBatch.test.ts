import { describe, expect, it } from 'vitest';
import { encodeVersion } from '../../conflict/version.js';
import { ErrorCodes } from '../../core/errors.js';
import { planBatch } from '../../replicator/planBatch.js';
import type { StreamRecord } from '../../replicator/types.js';
import { names, planContext, stamped, streamRecord, version } from '../helpers/factories.js';

const k = (pk: string) => ({ pk: { S: pk } });
const put = (pk: string, at: number, extra: Record<string, { S: string }> = {}): StreamRecord =>
  streamRecord({ newImage: stamped({ ...k(pk), ...extra }, version(at, 0, 'eu-west-1')) });

describe('planBatch', () => {
  it('plans one write per change and peer, listing the record it completes', () => {
    // Prepare
    const records = [put('k1', 1000), put('k2', 1000)];

    // Act
    const plan = planBatch(records, planContext({ peers: ['us-east-1', 'ap-south-1'] }));

    // Assess
    expect(plan.writes.map((w) => [w.peer, w.change.keyId, w.recordIndexes])).toStrictEqual([
      ['us-east-1', plan.writes[0]!.change.keyId, [0]],
      ['ap-south-1', plan.writes[0]!.change.keyId, [0]],
      ['us-east-1', plan.writes[2]!.change.keyId, [1]],
      ['ap-south-1', plan.writes[2]!.change.keyId, [1]],
    ]);
    expect(plan.writes[0]!.change.keyId).not.toBe(plan.writes[2]!.change.keyId);
    expect(plan.skipped).toStrictEqual([]);
    expect(plan.rejected).toStrictEqual([]);
  });

  it('coalesces per key: only the highest version is written, and it lists every index of that key', () => {
    // Prepare: #0 k1 v1, #1 k2 v5, #2 k1 v3, #3 k1 v2 (late)
    const records = [
      put('k1', 1, { a: { S: 'v1' } }),
      put('k2', 5),
      put('k1', 3, { a: { S: 'v3' } }),
      put('k1', 2, { a: { S: 'v2' } }),
    ];

    // Act
    const plan = planBatch(records, planContext());

    // Assess
    expect(plan.writes).toHaveLength(2);
    const k1 = plan.writes.find((w) => w.change.record.index === 2)!;
    expect(k1.change.item.a).toStrictEqual({ S: 'v3' });
    expect(k1.change.versionText).toBe(encodeVersion(version(3, 0, 'eu-west-1')));
    expect([...k1.recordIndexes].sort()).toStrictEqual([0, 2, 3]);
    expect(plan.writes.find((w) => w.change.record.index === 1)!.recordIndexes).toStrictEqual([1]);
    expect(
      plan.skipped
        .filter((s) => s.reason === 'coalesced')
        .map((s) => s.index)
        .sort(),
    ).toStrictEqual([0, 3]);
  });

  it('coalesces numerically equal keys (1 and 1.0) as one key', () => {
    const records = [
      streamRecord({ newImage: stamped({ pk: { N: '1' } }, version(1)) }),
      streamRecord({ newImage: stamped({ pk: { N: '1.0' } }, version(2)) }),
    ];

    const plan = planBatch(records, planContext());

    expect(plan.writes).toHaveLength(1);
    expect(plan.writes[0]!.recordIndexes).toStrictEqual([0, 1]);
  });

  it('keeps different composite keys apart, whatever characters their strings hold', () => {
    // Prepare: (pk "a\u0000sk=S:b", sk "c") and (pk "a", sk "b\u0000sk=S:c") are different items.
    const first = { pk: { S: 'a\u0000sk=S:b' }, sk: { S: 'c' } };
    const second = { pk: { S: 'a' }, sk: { S: 'b\u0000sk=S:c' } };
    const records = [
      streamRecord({ keys: first, newImage: stamped(first, version(1)) }),
      streamRecord({ keys: second, newImage: stamped(second, version(2)) }),
    ];

    // Act
    const plan = planBatch(records, planContext());

    // Assess
    expect(plan.writes.map((w) => w.recordIndexes)).toStrictEqual([[0], [1]]);
  });

  it('keeps one write for a record delivered twice in a batch', () => {
    const record = put('k1', 7);

    const plan = planBatch([record, record], planContext());

    expect(plan.writes).toHaveLength(1);
    expect([...plan.writes[0]!.recordIndexes].sort()).toStrictEqual([0, 1]);
  });

  it('rejects malformed records with their index and still plans the rest of the batch', () => {
    // Prepare
    const good = put('k1', 1000);
    const records: StreamRecord[] = [
      { ...put('k2', 1), dynamodb: { ...put('k2', 1).dynamodb, Keys: undefined } },
      good,
      streamRecord({ eventName: 'INSERT', oldImage: k('k3') }),
      { ...put('k4', 1), dynamodb: { ...put('k4', 1).dynamodb, StreamViewType: 'KEYS_ONLY' } },
      { ...put('k5', 1), eventName: 'UPSERT' },
      streamRecord({ newImage: { ...k('k6'), n: { N: 'abc' } } }),
      put('k7', 2000),
      streamRecord({ newImage: k('k8') }),
    ];

    // Act
    const plan = planBatch(records, planContext());

    // Assess
    expect(plan.rejected.map((r) => [r.index, r.error.code, r.error.payload.index])).toStrictEqual([
      [0, ErrorCodes.replicator.malformedRecord, 0],
      [2, ErrorCodes.replicator.malformedRecord, 2],
      [3, ErrorCodes.replicator.unsupportedStreamViewType, 3],
      [4, ErrorCodes.replicator.malformedRecord, 4],
      [5, ErrorCodes.replicator.malformedRecord, 5],
      [7, ErrorCodes.replicator.unstampedWrite, 7],
    ]);
    expect(plan.writes.map((w) => w.recordIndexes)).toStrictEqual([[1], [6]]);
  });

  it('lists skipped records with their reasons', () => {
    const v = version(1000, 0, 'us-east-1');
    const records = [
      streamRecord({ oldImage: stamped(k('k1'), v, { deleted: true }), ttl: true }),
      streamRecord({ newImage: stamped(k('k2'), v, { replicated: true }) }),
      streamRecord({ oldImage: stamped(k('k3'), v, { deleted: true }) }),
    ];

    const plan = planBatch(records, planContext());

    expect(plan.skipped).toStrictEqual([
      { index: 0, reason: 'ttl' },
      { index: 1, reason: 'echo' },
      { index: 2, reason: 'tombstonePurge' },
    ]);
    expect(plan.writes).toStrictEqual([]);
  });

  it('skips every change when the region has no peers', () => {
    const plan = planBatch([put('k1', 1), put('k2', 2)], planContext({ topology: 'one-way', peers: [] }));

    expect(plan.writes).toStrictEqual([]);
    expect(plan.skipped).toStrictEqual([
      { index: 0, reason: 'noPeers' },
      { index: 1, reason: 'noPeers' },
    ]);
  });

  it('writes the metadata names of the context', () => {
    const plan = planBatch([put('k1', 1)], planContext());

    expect(plan.writes[0]!.change.item[names.replicated]).toStrictEqual({ BOOL: true });
  });
});
