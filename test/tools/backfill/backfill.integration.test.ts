import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeVersion } from '../../../conflict/version.js';
import { metadataNamesFor } from '../../../core/config/topology.js';
import { DEFAULT_PAGE_SIZE } from '../../../tools/_shared/scanTable.js';
import { backfill, FIRST_PAGE_SIZE } from '../../../tools/backfill/backfill.js';
import { BackfillErrorCodes } from '../../../tools/backfill/errors.js';
import { PathReasons, WritePaths } from '../../../tools/backfill/types.js';
import { scanAll } from '../../../tools/tables.js';
import { verify } from '../../../tools/verify/verify.js';
import { batchPut } from '../verify/verifyHarness.js';
import { type BackfillPair, backfillPair, plainItems, SOURCE, TARGET } from './backfillHarness.js';

const names = metadataNamesFor('_ds_');
const pairs: BackfillPair[] = [];
afterEach(async () => {
  for (const pair of pairs.splice(0)) await pair.cleanup();
});
const pairOf = async (...args: Parameters<typeof backfillPair>) => {
  const pair = await backfillPair(...args);
  pairs.push(pair);
  return pair;
};

describe('backfill (DynamoDB Local)', () => {
  it('conditional path (one-way): fills absent keys, never touches what replication wrote, tombstones included', async () => {
    // Prepare: 300 source items; replication already wrote k1 (newer), a tombstone of k2, and k3 (an hour ago).
    const pair = await pairOf();
    await batchPut(pair.source, pair.sourceTable, plainItems(300));
    const future = encodeVersion({
      physicalMs: Date.now() + 3_600_000,
      logical: 0,
      origin: SOURCE,
      sequence: '9',
    });
    const past = encodeVersion({
      physicalMs: Date.now() - 3_600_000,
      logical: 0,
      origin: SOURCE,
      sequence: '9',
    });
    const held = [
      {
        pk: { S: 'k1' },
        label: { S: 'newer' },
        [names.version]: { S: future },
        [names.replicated]: { BOOL: true },
      },
      {
        pk: { S: 'k2' },
        [names.version]: { S: future },
        [names.deleted]: { BOOL: true },
        [names.expires]: { N: '1999999999' },
      },
      {
        pk: { S: 'k3' },
        label: { S: 'older' },
        [names.version]: { S: past },
        [names.replicated]: { BOOL: true },
      },
    ];
    for (const item of held)
      await pair.target.send(new PutItemCommand({ TableName: pair.targetTable, Item: item as never }));
    // Act
    const report = await backfill({
      config: pair.config,
      from: SOURCE,
      to: TARGET,
      segments: 3,
      pageSize: 40,
    });
    // Assess
    expect(report.path).toEqual({ chosen: WritePaths.conditional, reason: PathReasons.liveWritersPossible });
    expect(report).toMatchObject({
      complete: true,
      scanned: 300,
      written: 297,
      stale: 3,
      skipped: 0,
      failed: 0,
    });
    expect(report.consumedCapacity.read).toBeGreaterThan(0);
    expect(report.consumedCapacity.write).toBeGreaterThanOrEqual(297);
    const get = async (pk: string) =>
      (
        await pair.target.send(
          new GetItemCommand({ TableName: pair.targetTable, Key: { pk: { S: pk } }, ConsistentRead: true }),
        )
      ).Item;
    expect((await get('k1'))?.label).toEqual({ S: 'newer' });
    expect((await get('k2'))?.[names.deleted]).toEqual({ BOOL: true });
    // k3: replication wrote it, so the stream carries its later changes too; the backfill leaves it.
    expect((await get('k3'))?.label).toEqual({ S: 'older' });
    const target = await scanAll(pair.target, pair.targetTable);
    expect(target).toHaveLength(300);
    const k7 = target.find((item) => (item.pk as { S: string }).S === 'k7')!;
    expect(k7.n).toEqual(plainItems(1, 7)[0]!.n); // 38 digits, exact
    expect(k7[names.replicated]).toEqual({ BOOL: true });
  });

  it('without --page-size, starts each segment with a short page, then full pages', async () => {
    // Prepare: record the Limit of every source Scan, by segment.
    const pair = await pairOf();
    await batchPut(pair.source, pair.sourceTable, plainItems(1_400));
    const limits: Record<number, number[]> = { 0: [], 1: [] };
    pair.source.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Segment?: number; Limit?: number; TotalSegments?: number };
        if (input.TotalSegments !== undefined && input.Segment !== undefined)
          limits[input.Segment]?.push(input.Limit ?? 0);
        return next(args);
      },
      { step: 'initialize', name: 'testScanLimits' },
    );
    // Act
    const report = await backfill({
      config: pair.config,
      from: SOURCE,
      to: TARGET,
      segments: 2,
      targetIdle: true,
      clients: pair.clients,
    });
    // Assess
    expect(report).toMatchObject({ complete: true, scanned: 1_400, written: 1_400 });
    for (const segment of [0, 1]) {
      expect(limits[segment]![0]).toBe(FIRST_PAGE_SIZE);
      expect(new Set(limits[segment]!.slice(1))).toEqual(new Set([DEFAULT_PAGE_SIZE]));
    }
    expect(await scanAll(pair.target, pair.targetTable)).toHaveLength(1_400);
  });

  it('fast path: batch writes into an empty, idle target, chosen and reported; verify is clean', async () => {
    const pair = await pairOf();
    await batchPut(pair.source, pair.sourceTable, plainItems(500));
    const report = await backfill({
      config: pair.config,
      from: SOURCE,
      to: TARGET,
      targetIdle: true,
      pageSize: 100,
    });
    expect(report.path).toEqual({ chosen: WritePaths.batch, reason: PathReasons.emptyAndIdle });
    expect(report).toMatchObject({ complete: true, scanned: 500, written: 500, stale: 0 });
    const audit = await verify({ config: pair.config, from: SOURCE, to: TARGET, settleSeconds: 0 });
    expect(audit.inSync).toBe(true);
    expect(audit.live.target).toBe(500);
  });

  it('keeps the conditional path when the target is not empty, even with --target-idle', async () => {
    const pair = await pairOf();
    await batchPut(pair.source, pair.sourceTable, plainItems(50));
    await batchPut(pair.target, pair.targetTable, plainItems(1, 1_000));
    const report = await backfill({ config: pair.config, from: SOURCE, to: TARGET, targetIdle: true });
    expect(report.path).toEqual({ chosen: WritePaths.conditional, reason: PathReasons.targetNotEmpty });
    expect(report.written).toBe(50);
    const disabled = await backfill({
      config: pair.config,
      from: SOURCE,
      to: TARGET,
      targetIdle: true,
      fastPath: false,
      checkpoint: join(pair.dir, 'other.json'),
    });
    expect(disabled.path.reason).toBe(PathReasons.disabled);
  });

  it('refuses to overwrite an unfinished checkpoint, and to resume another run', async () => {
    const pair = await pairOf();
    await batchPut(pair.source, pair.sourceTable, plainItems(10));
    const checkpoint = join(pair.dir, 'cp.json');
    await writeFile(
      checkpoint,
      JSON.stringify({
        format: 'dynasync-backfill/1',
        from: SOURCE,
        to: TARGET,
        sourceTable: pair.sourceTable,
        targetTable: pair.targetTable,
        segments: 2,
        path: 'conditional',
        startedAt: new Date().toISOString(),
        complete: false,
        progress: [
          { done: true, lastKey: null, pages: 1, items: 4 },
          { done: false, lastKey: null, pages: 0, items: 0 },
        ],
      }),
    );
    await expect(
      backfill({ config: pair.config, from: SOURCE, to: TARGET, checkpoint }),
    ).rejects.toMatchObject({
      code: BackfillErrorCodes.checkpointExists,
    });
    await expect(
      backfill({ config: pair.config, from: SOURCE, to: TARGET, checkpoint, resume: true, segments: 3 }),
    ).rejects.toMatchObject({ code: BackfillErrorCodes.checkpointMismatch });
    const resumed = await backfill({
      config: pair.config,
      from: SOURCE,
      to: TARGET,
      checkpoint,
      resume: true,
    });
    expect(resumed.resume).toMatchObject({ resumed: true, itemsBefore: 4, segmentsDoneBefore: 1 });
    expect(resumed.scanned).toBeLessThan(10); // segment 0 was not read again
  });

  it('resumes a fast-path run with batch writes only when --target-idle is given again', async () => {
    const pair = await pairOf();
    await batchPut(pair.source, pair.sourceTable, plainItems(20));
    const fastCheckpoint = (name: string) => {
      const path = join(pair.dir, name);
      return writeFile(
        path,
        JSON.stringify({
          format: 'dynasync-backfill/1',
          from: SOURCE,
          to: TARGET,
          sourceTable: pair.sourceTable,
          targetTable: pair.targetTable,
          segments: 1,
          path: 'batch',
          startedAt: new Date().toISOString(),
          complete: false,
          progress: [{ done: false, lastKey: null, pages: 0, items: 0 }],
        }),
      ).then(() => path);
    };
    const plain = await backfill({
      config: pair.config,
      from: SOURCE,
      to: TARGET,
      resume: true,
      checkpoint: await fastCheckpoint('a.json'),
    });
    expect(plain.path).toEqual({ chosen: WritePaths.conditional, reason: PathReasons.resumedConditional });
    const idle = await backfill({
      config: pair.config,
      from: SOURCE,
      to: TARGET,
      resume: true,
      targetIdle: true,
      checkpoint: await fastCheckpoint('b.json'),
    });
    expect(idle.path).toEqual({ chosen: WritePaths.batch, reason: PathReasons.resumed });
    expect(idle.written).toBe(20);
  });
});
