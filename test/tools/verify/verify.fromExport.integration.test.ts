import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeItem } from '../../../core/codec.js';
import { ErrorCodes } from '../../../core/errors.js';
import type { Item } from '../../../core/types.js';
import { FileExportObjects } from '../../../tools/exports/ExportObjects.js';
import { runVerifyCommand, VerifyExitCodes } from '../../../tools/verify/command.js';
import type { Difference } from '../../../tools/verify/types.js';
import { verify } from '../../../tools/verify/verify.js';
import { checkAsyncProperty } from '../../helpers/laws.js';
import {
  type MotoServer,
  motoAvailableOrWarn,
  motoClientConfig,
  startMoto,
} from '../../helpers/motoServer.js';
import { writeExport } from '../../helpers/writeExport.js';
import { build, byKey, rows, scenario } from './injectedDrift.js';
import { batchPut, type RegionPair, regionPair, SOURCE, TARGET } from './verifyHarness.js';

/*
 * verify --from-export: both sides read from DynamoDB exports (written by the test in the documented
 * layout, since DynamoDB Local cannot export), shuffled by key hash like a scan, and only the
 * candidates re-read live on DynamoDB Local.
 */
describe('verify from two exports of one instant (DynamoDB Local for the live re-reads)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dynasync-verify-export-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const exportsOf = async (
    dir: string,
    source: readonly Item[],
    target: readonly Item[],
    files: [number, number],
  ) => {
    const a = await writeExport(join(dir, 'a'), source, { files: files[0], exportId: '01-source' });
    const b = await writeExport(join(dir, 'b'), target, { files: files[1], exportId: '01-target' });
    return { source: new FileExportObjects(a.folder), target: new FileExportObjects(b.folder) };
  };

  it('law: exports of the tables report exactly the injected drift, as the scans do, reading no scan units', async () => {
    await checkAsyncProperty(
      fc.asyncProperty(
        scenario(),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        async (input, a, b) => {
          const pair: RegionPair = await regionPair();
          try {
            const { source, target, expected } = build(input);
            await Promise.all([
              batchPut(pair.source, pair.sourceTable, source),
              batchPut(pair.target, pair.targetTable, target),
            ]);
            const dir = await mkdtemp(join(root, 'p-'));
            const differences: Difference[] = [];
            const report = await verify({
              config: pair.config,
              from: SOURCE,
              to: TARGET,
              clients: pair.clients,
              settleSeconds: 0,
              partitions: 8,
              fromExport: await exportsOf(dir, source, target, [a, b]),
              onDifference: (difference) => {
                differences.push(difference);
              },
            });
            expect(rows(differences).sort(byKey)).toEqual([...expected].sort(byKey));
            expect(report.inSync).toBe(expected.length === 0);
            expect(report.scanned).toEqual({ source: source.length, target: target.length });
            expect(report.exports?.exportTime).toBe('2026-12-01T10:00:00.000Z');
            // Only the candidates' consistent re-reads cost read units (none when nothing differs).
            if (report.method.candidates === 0)
              expect(report.consumedCapacity).toMatchObject({ source: 0, target: 0 });
          } finally {
            await pair.cleanup();
          }
        },
      ),
      6,
    );
  });

  it('settles a difference the exports show but the live tables no longer have', async () => {
    const pair = await regionPair();
    try {
      const items = [0, 1, 2].map((i) => decodeItem({ pk: { S: `k${i}` }, n: { N: `${i}` } }));
      await Promise.all([
        batchPut(pair.source, pair.sourceTable, items),
        batchPut(pair.target, pair.targetTable, items),
      ]);
      // At export time the target lacked k2 and had a stale k1; replication has caught up since.
      const stale = decodeItem({ pk: { S: 'k1' }, n: { N: '99' } });
      const report = await verify({
        config: pair.config,
        from: SOURCE,
        to: TARGET,
        clients: pair.clients,
        settleSeconds: 0,
        fromExport: await exportsOf(root, items, [items[0] as Item, stale], [2, 1]),
      });
      expect(report.inSync).toBe(true);
      expect(report.counts).toEqual({ missing: 0, extra: 0, different: 0, settled: 2 });
      expect(report.method.candidates).toBe(2);
    } finally {
      await pair.cleanup();
    }
  });

  it('refuses exports of two different instants before reading any item', async () => {
    const pair = await regionPair();
    try {
      const a = await writeExport(join(root, 'a'), [], { exportTime: '2026-12-01T10:00:00Z' });
      const b = await writeExport(join(root, 'b'), [], { exportTime: '2026-12-01T10:05:00Z' });
      await expect(
        verify({
          config: pair.config,
          from: SOURCE,
          to: TARGET,
          clients: pair.clients,
          fromExport: { source: new FileExportObjects(a.folder), target: new FileExportObjects(b.folder) },
        }),
      ).rejects.toMatchObject({ code: ErrorCodes.export.timeMismatch });
    } finally {
      await pair.cleanup();
    }
  });
});

describe.skipIf(!motoAvailableOrWarn())(
  'dynasync verify --from-export s3://… (exports on S3 in moto_server)',
  () => {
    let moto: MotoServer;
    let root: string;
    beforeEach(async () => {
      moto = await startMoto();
      root = await mkdtemp(join(tmpdir(), 'dynasync-verify-export-s3-'));
    }, 120_000);
    afterEach(async () => {
      await moto?.stop();
      await rm(root, { recursive: true, force: true });
    });

    it('reads both exports from S3, prints the summary the scan prints, and exits 1 on drift', async () => {
      const pair = await regionPair();
      try {
        const [input] = fc.sample(scenario(), { seed: 41, numRuns: 1 });
        if (input === undefined) throw new Error('no scenario');
        const { source, target, expected } = build(input);
        expect(expected.length).toBeGreaterThan(0);
        await Promise.all([
          batchPut(pair.source, pair.sourceTable, source),
          batchPut(pair.target, pair.targetTable, target),
        ]);
        const s3 = new S3Client({ ...motoClientConfig(moto), forcePathStyle: true });
        await s3.send(
          new CreateBucketCommand({
            Bucket: 'exports',
            CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
          }),
        );
        const upload = async (items: readonly Item[], exportId: string) => {
          const written = await writeExport(join(root, exportId), items, { files: 3, exportId });
          for (const file of written.files)
            await s3.send(new PutObjectCommand({ Bucket: 'exports', Key: file.key, Body: file.body }));
          return `s3://exports/${written.key}`;
        };
        const configFile = join(root, 'dynasync.json');
        await writeFile(
          configFile,
          JSON.stringify({
            version: 1,
            name: 'verify-exports',
            regions: pair.config.regions,
            topology: pair.config.topology,
          }),
        );
        const run = async (extra: Record<string, string>) => {
          const printed: string[] = [];
          const code = await runVerifyCommand(
            { config: configFile, from: SOURCE, to: TARGET, settle: 0, ...extra },
            { print: (text) => printed.push(...text.split('\n')), clients: pair.clients, s3 },
          );
          return { code, printed };
        };
        const scanned = await run({});
        const exported = await run({
          fromExport: await upload(source, '01-source'),
          toExport: await upload(target, '01-target'),
        });
        expect(scanned.code).toBe(VerifyExitCodes.drift);
        expect(exported.code).toBe(VerifyExitCodes.drift);
        expect(exported.printed[0]).toMatch(/^verify: reading the two exports instead of scanning/);
        const counts = (printed: readonly string[]) =>
          printed.filter((line) => /^ {2}(missing|extra|different|settled) /.test(line));
        expect(counts(exported.printed)).toEqual(counts(scanned.printed));
        expect(counts(exported.printed).length).toBeGreaterThan(0);
      } finally {
        await pair.cleanup();
      }
    });
  },
);
