import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeItem } from '../../../core/codec.js';
import type { Item } from '../../../core/types.js';
import { VerifyErrorCodes } from '../../../tools/verify/errors.js';
import type { Difference, SourceTransform, VerifyReport } from '../../../tools/verify/types.js';
import { type VerifyOptions, verify } from '../../../tools/verify/verify.js';
import {
  appItem,
  batchPut,
  names,
  type RegionPair,
  regionPair,
  replicaOf,
  SOURCE,
  TARGET,
  tombstone,
  versionAt,
} from './verifyHarness.js';

const pairs: RegionPair[] = [];
afterEach(async () => {
  for (const pair of pairs.splice(0)) await pair.cleanup();
});

const newPair = async (options?: Parameters<typeof regionPair>[0]) => {
  const pair = await regionPair(options);
  pairs.push(pair);
  return pair;
};

/** Runs verify on a pair, collecting every difference. */
const run = async (
  pair: RegionPair,
  options: Partial<VerifyOptions> = {},
): Promise<{ report: VerifyReport; differences: Difference[] }> => {
  const differences: Difference[] = [];
  const report = await verify({
    config: pair.config,
    from: SOURCE,
    to: TARGET,
    clients: pair.clients,
    settleSeconds: 0,
    segments: 2,
    onDifference: (difference) => {
      differences.push(difference);
    },
    ...options,
  });
  return { report, differences };
};

/** Differences as comparable rows: kind, pk, attributes. */
const rows = (differences: readonly Difference[]) =>
  differences
    .map((difference) => ({
      kind: difference.kind,
      pk: (difference.key.pk as { S: string }).S,
      attributes: [...difference.attributes],
    }))
    .sort((a, b) => (a.pk < b.pk ? -1 : a.pk > b.pk ? 1 : 0));

const base = (i: number): Item =>
  appItem(`k${i}`, versionAt(1_700_000_000_000 + i), {
    status: { S: 'open' },
    total: { N: '12.50' },
    tags: { SS: ['a', 'b'] },
    blob: { B: new Uint8Array([i % 256, 1, 2]) },
    nested: { M: { list: { L: [{ N: '1' }, { S: 'x' }] } } },
  });

describe('verify on two DynamoDB Local instances', () => {
  it('reports exactly the drift: missing, extra and different with attribute names, and ignores what must not count', async () => {
    // Prepare: 60 keys replicated as the replicator writes them, then drift written directly.
    const pair = await newPair();
    const source = Array.from({ length: 60 }, (_, i) => base(i));
    const target = source.map(replicaOf);
    source[5] = tombstone('k5', versionAt(1_700_000_100_000)); // source deleted, target still live → extra
    source[6] = tombstone('k6', versionAt(1_700_000_100_000)); // source tombstone, target nothing → agree
    source[9] = tombstone('k9', versionAt(1_700_000_100_000));
    target[9] = replicaOf(tombstone('k9', versionAt(1_700_000_000_009))); // both tombstones, other versions → agree
    target[1] = undefined as unknown as Item; // deleted in the target → missing
    target[6] = undefined as unknown as Item;
    target[2] = { ...target[2]!, status: { S: 'closed' } }; // → different [status]
    target[3] = { ...target[3]!, [names.version]: { S: versionAt(1_600_000_000_000) } }; // → different [_ds_v]
    target[4] = replicaOf(tombstone('k4', versionAt(1_700_000_000_004))); // → missing
    const { [names.replicated]: _rep, ...withoutMarker } = target[7]!;
    target[7] = withoutMarker; // the replication marker is not compared → agree
    target[8] = { ...target[8]!, tags: { SS: ['b', 'a'] }, total: { N: '12.5' } }; // same values → agree
    target.push(replicaOf(appItem('x1', versionAt(1_700_000_000_500)))); // → extra
    await batchPut(pair.source, pair.sourceTable, source);
    await batchPut(
      pair.target,
      pair.targetTable,
      target.filter((item) => item !== undefined),
    );

    // Act
    const { report, differences } = await run(pair);

    // Assess
    expect(rows(differences)).toEqual([
      { kind: 'missing', pk: 'k1', attributes: [] },
      { kind: 'different', pk: 'k2', attributes: ['status'] },
      { kind: 'different', pk: 'k3', attributes: [names.version] },
      { kind: 'missing', pk: 'k4', attributes: [] },
      { kind: 'extra', pk: 'k5', attributes: [] },
      { kind: 'extra', pk: 'x1', attributes: [] },
    ]);
    expect(report.inSync).toBe(false);
    expect(report.counts).toEqual({ missing: 2, extra: 2, different: 2, settled: 0 });
    expect(report.scanned).toEqual({ source: 60, target: 59 });
    expect(report.tombstones).toEqual({ source: 3, target: 2 });
    expect(report.consumedCapacity.source).toBeGreaterThan(0);
    expect(report.consumedCapacity.estimated).toBe(false);
    for (const difference of differences) expect(difference.keyHash).toMatch(/^[0-9a-f]{12}$/);
  });

  it('is in sync when the target is an exact replica, and reads nothing consistently', async () => {
    const pair = await newPair();
    const source = Array.from({ length: 120 }, (_, i) => base(i));
    await batchPut(pair.source, pair.sourceTable, source);
    await batchPut(pair.target, pair.targetTable, source.map(replicaOf));

    const { report, differences } = await run(pair, { segments: 3 });

    expect(report.inSync).toBe(true);
    expect(differences).toEqual([]);
    expect(report.method.candidates).toBe(0);
    expect(report.method.consistentReads).toBe(0);
    expect(report.scanned).toEqual({ source: 120, target: 120 });
  });

  it('repairs missing, extra and different keys, never overwrites a newer target, and a second verify is clean', async () => {
    // Prepare
    const pair = await newPair();
    const source = Array.from({ length: 30 }, (_, i) => base(i));
    source[7] = tombstone('k7', versionAt(1_700_000_200_000));
    const target = source.map(replicaOf);
    target[7] = replicaOf(base(7)); // source deleted it: the tombstone must reach the target
    target[1] = undefined as unknown as Item;
    target[2] = { ...target[2]!, status: { S: 'corrupted' } }; // same version, other content
    const newer = versionAt(1_800_000_000_000, 0, TARGET);
    target[3] = { ...target[3]!, status: { S: 'newer' }, [names.version]: { S: newer } }; // newer: left alone
    target.push(replicaOf(appItem('x1', versionAt(1_600_000_000_000)))); // source never had it
    await batchPut(pair.source, pair.sourceTable, source);
    await batchPut(
      pair.target,
      pair.targetTable,
      target.filter((item) => item !== undefined),
    );

    // Act: a dry run writes nothing; the repair writes; a second verify checks.
    const dry = await run(pair, { repair: true, dryRun: true });
    const dryAgain = await run(pair);
    const repaired = await run(pair, { repair: true });
    const after = await run(pair);

    // Assess
    expect(dry.report.repair).toEqual({
      dryRun: true,
      counts: { repaired: 0, stale: 0, failed: 0, skipped: 0, wouldRepair: 4, wouldSkip: 1 },
    });
    expect(dryAgain.report.counts).toEqual(dry.report.counts);
    const outcomes = Object.fromEntries(
      repaired.differences.map((d) => [(d.key.pk as { S: string }).S, d.repair?.outcome]),
    );
    expect(outcomes).toEqual({ k1: 'repaired', k2: 'repaired', k3: 'stale', k7: 'repaired', x1: 'repaired' });
    expect(after.report.counts).toEqual({ missing: 0, extra: 0, different: 1, settled: 0 });
    expect(rows(after.differences)).toEqual([
      { kind: 'different', pk: 'k3', attributes: [names.version, 'status'] },
    ]);
    const k3 = await pair.target.send(
      new GetItemCommand({ TableName: pair.targetTable, Key: { pk: { S: 'k3' } }, ConsistentRead: true }),
    );
    expect(k3.Item?.[names.version]).toEqual({ S: newer });
    const x1 = await pair.target.send(
      new GetItemCommand({ TableName: pair.targetTable, Key: { pk: { S: 'x1' } }, ConsistentRead: true }),
    );
    expect(x1.Item?.[names.deleted]).toEqual({ BOOL: true }); // a tombstone, not a delete
    expect(x1.Item?.[names.version]?.S?.startsWith('0')).toBe(true);
  });

  it('one-way: ignores the derived versions of the replica, and repairs with a version older than any later change', async () => {
    // Prepare: raw source items (no version), replicas with stream-derived versions.
    const pair = await newPair({ topology: 'one-way' });
    const source: Item[] = Array.from({ length: 40 }, (_, i) => ({
      pk: { S: `k${i}` },
      n: { N: String(i) },
    }));
    const target = source.map((item, i) => ({
      ...item,
      [names.version]: { S: `${versionAt(1_700_000_000_000 + i)}~${String(i + 1).padStart(40, '0')}` },
      [names.replicated]: { BOOL: true },
    }));
    target[4] = { ...target[4]!, n: { N: '999' } };
    await batchPut(pair.source, pair.sourceTable, source);
    await batchPut(pair.target, pair.targetTable, target);

    // Act
    const first = await run(pair, { repair: true, now: () => 1_750_000_000_700 });
    const second = await run(pair);

    // Assess
    expect(rows(first.differences)).toEqual([{ kind: 'different', pk: 'k4', attributes: ['n'] }]);
    expect(first.report.settings.versionsCompared).toBe(false);
    expect(first.differences[0]?.repair?.outcome).toBe('repaired');
    expect(second.report.inSync).toBe(true);
    const k4 = await pair.target.send(
      new GetItemCommand({ TableName: pair.targetTable, Key: { pk: { S: 'k4' } }, ConsistentRead: true }),
    );
    // The lowest version of the second before the read: any later stream-derived version wins over it.
    expect(k4.Item?.[names.version]).toEqual({ S: `${versionAt(1_749_999_999_000)}~${'0'.repeat(40)}` });
    expect(k4.Item?.n).toEqual({ N: '4' });
  });

  it('keeps memory bounded: partitions over the limit are split again and never more entries are held', async () => {
    // Prepare
    const pair = await newPair();
    const source = Array.from({ length: 600 }, (_, i) => base(i));
    const target = source.map(replicaOf).filter((_, i) => i % 97 !== 0);
    await batchPut(pair.source, pair.sourceTable, source);
    await batchPut(pair.target, pair.targetTable, target);

    // Act: 2 partitions of ~300 entries, 40 allowed in memory.
    const { report } = await run(pair, { partitions: 2, maxEntriesInMemory: 40, pageSize: 50 });

    // Assess
    expect(report.method.splits).toBeGreaterThan(0);
    expect(report.method.peakEntriesInMemory).toBeGreaterThan(0);
    expect(report.method.peakEntriesInMemory).toBeLessThanOrEqual(40);
    expect(report.counts).toEqual({ missing: 7, extra: 0, different: 0, settled: 0 });
  });

  it('compares a masked replica after the source transform (the pipeline hook)', async () => {
    const pair = await newPair();
    const source = Array.from({ length: 20 }, (_, i) =>
      appItem(`k${i}`, versionAt(1_700_000_000_000), { email: { S: `u${i}@example.com` } }),
    );
    const mask: SourceTransform = (item) => [
      { ...item, ...(item.email === undefined ? {} : { email: { S: '***' } }) },
    ];
    const target = source.map((item) => replicaOf(mask(item)[0]!));
    target[3] = { ...target[3]!, email: { S: 'u3@example.com' } }; // a value the mask should have hidden
    await batchPut(pair.source, pair.sourceTable, source);
    await batchPut(pair.target, pair.targetTable, target);

    const masked = await run(pair, { transform: mask });
    const unmasked = await run(pair);

    expect(rows(masked.differences)).toEqual([{ kind: 'different', pk: 'k3', attributes: ['email'] }]);
    expect(unmasked.report.counts.different).toBe(19);
    expect(JSON.stringify(masked.differences)).not.toContain('example.com');
  });

  it('handles composite keys with number and binary sort keys', async () => {
    const pair = await newPair({
      keys: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'B' } },
    });
    const source = Array.from({ length: 30 }, (_, i) => ({
      ...appItem(`p${i % 3}`, versionAt(1_700_000_000_000)),
      sk: { B: new Uint8Array([i, 255, 0]) },
    }));
    await batchPut(pair.source, pair.sourceTable, source);
    await batchPut(pair.target, pair.targetTable, source.slice(1).map(replicaOf));

    const { report, differences } = await run(pair, { repair: true });
    const after = await run(pair);

    expect(report.counts.missing).toBe(1);
    expect(differences[0]?.key).toEqual(
      encodeItem({ pk: { S: 'p0' }, sk: { B: new Uint8Array([0, 255, 0]) } }),
    );
    expect(differences[0]?.repair?.outcome).toBe('repaired');
    expect(after.report.inSync).toBe(true);
  });

  it('tracks consumed capacity under --max-rps', async () => {
    const pair = await newPair();
    const source = Array.from({ length: 200 }, (_, i) => base(i));
    await batchPut(pair.source, pair.sourceTable, source);
    await batchPut(pair.target, pair.targetTable, source.map(replicaOf).slice(10));

    const { report } = await run(pair, { maxRps: 1_000 });

    expect(report.settings.maxRps).toBe(1_000);
    expect(report.consumedCapacity.source).toBeGreaterThan(report.consumedCapacity.target / 2);
    expect(report.consumedCapacity.target).toBeGreaterThan(0);
    expect(report.method.consistentReads).toBe(20);
    expect(report.counts.missing).toBe(10);
  });

  it('fails with verify.keySchemaMismatch when the target is keyed by an attribute the items lack', async () => {
    const pair = await newPair({ keys: { partitionKey: { name: 'pk', type: 'S' } } });
    const other = await newPair({ keys: { partitionKey: { name: 'id', type: 'S' } } });
    await batchPut(pair.source, pair.sourceTable, [base(1)]);
    const config = {
      ...pair.config,
      regions: { ...pair.config.regions, [TARGET]: other.config.regions[TARGET]! },
    };

    await expect(
      verify({
        config,
        from: SOURCE,
        to: TARGET,
        clients: { [SOURCE]: pair.source, [TARGET]: other.target },
        settleSeconds: 0,
      }),
    ).rejects.toMatchObject({ code: VerifyErrorCodes.keySchemaMismatch });
  });

  it('rejects bad options before reading anything', async () => {
    const pair = await newPair();
    const attempt = (options: Partial<VerifyOptions>) =>
      verify({ config: pair.config, from: SOURCE, to: TARGET, clients: pair.clients, ...options });

    await expect(attempt({ to: SOURCE })).rejects.toMatchObject({ code: VerifyErrorCodes.invalidOption });
    await expect(attempt({ from: 'mars-1' })).rejects.toMatchObject({ code: VerifyErrorCodes.invalidOption });
    await expect(attempt({ dryRun: true })).rejects.toMatchObject({ code: VerifyErrorCodes.invalidOption });
    await expect(attempt({ segments: 0 })).rejects.toMatchObject({ code: VerifyErrorCodes.invalidOption });
    await expect(attempt({ settleSeconds: -1 })).rejects.toMatchObject({
      code: VerifyErrorCodes.invalidOption,
    });
    await expect(attempt({ maxRps: 0 })).rejects.toMatchObject({ code: VerifyErrorCodes.invalidOption });
  });
});
