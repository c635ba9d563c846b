import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeItem, encodeItem } from '../../../core/codec.js';
import { DynasyncError, ErrorCodes } from '../../../core/errors.js';
import type { Item } from '../../../core/types.js';
import { FileExportObjects, parseExportLocation } from '../../../tools/exports/ExportObjects.js';
import { forEachExportPage, scanBodyOf } from '../../../tools/exports/forEachExportPage.js';
import { readExportItems } from '../../../tools/exports/readExportItems.js';
import { checkSameExportTime, readExportManifest } from '../../../tools/exports/readExportManifest.js';
import type { ExportObjects } from '../../../tools/exports/types.js';
import { wireItem } from '../../helpers/arbitraries.js';
import { writeExport } from '../../helpers/writeExport.js';

const readAll = async (objects: ExportObjects, pageSize?: number): Promise<Item[][]> => {
  const manifest = await readExportManifest(objects);
  const pages: Item[][] = [];
  for (const file of manifest.files)
    for await (const page of readExportItems(objects, file, pageSize === undefined ? {} : { pageSize }))
      pages.push(page);
  return pages;
};

const errorOf = async (run: () => Promise<unknown>): Promise<DynasyncError> => {
  try {
    await run();
  } catch (error) {
    if (error instanceof DynasyncError) return error;
    throw error;
  }
  throw new Error('expected a DynasyncError');
};

describe('reading a DynamoDB export (DynamoDB JSON, full export)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dynasync-export-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('law: the items read are exactly the items written, every digit and byte kept, in any number of files', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(wireItem(2), { maxLength: 25, selector: (item) => JSON.stringify(item) }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 7 }),
        async (wires, files, pageSize) => {
          const items = wires.map((wire) => decodeItem(wire));
          const dir = await mkdtemp(join(root, 'p-'));
          const { folder } = await writeExport(dir, items, { files });
          const pages = await readAll(new FileExportObjects(folder), pageSize);
          expect(pages.every((page) => page.length >= 1 && page.length <= pageSize)).toBe(true);
          const read = pages.flat().map((item) => JSON.stringify(encodeItem(item)));
          expect(read.sort()).toEqual(items.map((item) => JSON.stringify(encodeItem(item))).sort());
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps 38-digit numbers and binary exactly, and reads the summary', async () => {
    const item = decodeItem({
      pk: { S: 'order#1' },
      n: { N: '12345678901234567890123456789012345678' },
      b: { B: 'AAEC/w==' },
    });
    const { folder } = await writeExport(root, [item], { files: 2, exportTime: '2026-12-01T10:00:00Z' });
    const objects = new FileExportObjects(folder);
    const manifest = await readExportManifest(objects);
    expect(manifest).toMatchObject({ itemCount: 1, exportTime: '2026-12-01T10:00:00Z', location: folder });
    expect(manifest.files.map((file) => file.itemCount)).toEqual([1, 0]);
    const [page] = await readAll(objects);
    expect(page?.[0]?.n).toEqual({ N: '12345678901234567890123456789012345678' });
    expect(page?.[0]?.b).toEqual({ B: new Uint8Array([0, 1, 2, 255]) });
  });

  it('reads an empty data file (an empty partition) as no items', async () => {
    const { folder } = await writeExport(root, [decodeItem({ pk: { S: 'a' } })], { files: 1 });
    const manifestPath = join(folder, 'manifest-files.json');
    const empty = 'data/empty00000000000000000.json.gz';
    await writeFile(join(folder, empty), Buffer.alloc(0));
    const line = JSON.stringify({
      itemCount: 0,
      md5Checksum: '1B2M2Y8AsgTpgAmY7PhCfg==',
      etag: 'x',
      dataFileS3Key: `exports/AWSDynamoDB/x/${empty}`,
    });
    await writeFile(manifestPath, `${await readFile(manifestPath, 'utf8')}${line}\n`);
    expect((await readAll(new FileExportObjects(folder))).flat()).toHaveLength(1);
  });

  it('refuses a data file whose MD5 or item count differs from the manifest, naming the file', async () => {
    const { folder, files } = await writeExport(root, [decodeItem({ pk: { S: 'secret-value' } })], {
      files: 1,
    });
    const data = files.find((file) => file.key.includes('/data/'));
    if (data === undefined) throw new Error('no data file written');
    await writeFile(join(root, data.key), gzipSync(`${JSON.stringify({ Item: { pk: { S: 'other' } } })}\n`));
    const error = await errorOf(() => readAll(new FileExportObjects(folder)));
    expect(error.code).toBe(ErrorCodes.export.corruptFile);
    expect(error.message).toContain(data.key.slice(data.key.indexOf('data/')));
    expect(error.message).toContain('MD5');
  });

  it('refuses a truncated gzip file and a missing one', async () => {
    const { folder, files } = await writeExport(root, [decodeItem({ pk: { S: 'a' } })], { files: 1 });
    const data = files.find((file) => file.key.includes('/data/'));
    if (data === undefined) throw new Error('no data file written');
    await writeFile(join(root, data.key), data.body.subarray(0, data.body.length - 6));
    expect((await errorOf(() => readAll(new FileExportObjects(folder)))).code).toBe(
      ErrorCodes.export.corruptFile,
    );
    await rm(join(root, data.key));
    const missing = await errorOf(() => readAll(new FileExportObjects(folder)));
    expect(missing.code).toBe(ErrorCodes.export.corruptFile);
    expect(missing.message).toContain('not found');
  });

  it('names the file and line of a bad line, and never a value in it', async () => {
    const { folder } = await writeExport(root, [], { files: 1 });
    const manifest = await readExportManifest(new FileExportObjects(folder));
    const file = manifest.files[0];
    if (file === undefined) throw new Error('no data file');
    const lines = [
      JSON.stringify({ Item: { pk: { S: 'fine' } } }),
      '{"Item": {"pk": {"S": "secret-value"}, "n": {"N": "not-a-number-secret"}}}',
    ];
    await writeFile(join(folder, file.name), gzipSync(`${lines.join('\n')}\n`));
    const error = await errorOf(async () => {
      for await (const _ of readExportItems(new FileExportObjects(folder), { ...file, itemCount: 2 }));
    });
    expect(error.code).toBe(ErrorCodes.export.invalidLine);
    expect(error.payload).toMatchObject({ file: file.name, line: 2 });
    expect(error.message).toContain('line 2');
    expect(error.message).toContain('Item.n');
    expect(`${error.message} ${JSON.stringify(error.payload)}`).not.toContain('secret');

    await writeFile(join(folder, file.name), gzipSync('{"Item": {"pk": {"S": "secret-value"}'));
    const notJson = await errorOf(async () => {
      for await (const _ of readExportItems(new FileExportObjects(folder), file));
    });
    expect(notJson.code).toBe(ErrorCodes.export.invalidLine);
    expect(notJson.message).not.toContain('secret');
  });

  it('refuses ION and incremental exports, and a folder that is not an export', async () => {
    const ion = await writeExport(join(root, 'a'), [], { summary: { outputFormat: 'ION' } });
    expect((await errorOf(() => readExportManifest(new FileExportObjects(ion.folder)))).code).toBe(
      ErrorCodes.export.unsupportedFormat,
    );
    const incremental = await writeExport(join(root, 'b'), [], {
      summary: { exportType: 'INCREMENTAL_EXPORT' },
    });
    expect((await errorOf(() => readExportManifest(new FileExportObjects(incremental.folder)))).code).toBe(
      ErrorCodes.export.unsupportedFormat,
    );
    const none = await errorOf(() => readExportManifest(new FileExportObjects(root)));
    expect(none.code).toBe(ErrorCodes.export.invalidManifest);
    expect(none.message).toContain('manifest-summary.json');
    const noTime = await writeExport(join(root, 'c'), [], { summary: { exportTime: undefined } });
    const missingField = await errorOf(() => readExportManifest(new FileExportObjects(noTime.folder)));
    expect(missingField.message).toContain('"exportTime"');
  });

  it('compares only exports of the same instant', async () => {
    const a = await readExportManifest(
      new FileExportObjects((await writeExport(join(root, 'a'), [])).folder),
    );
    const b = await readExportManifest(
      new FileExportObjects(
        (await writeExport(join(root, 'b'), [], { exportTime: '2026-12-01T10:00:00Z' })).folder,
      ),
    );
    expect(() => checkSameExportTime(a, b)).not.toThrow();
    const c = { ...b, exportTime: '2026-12-01T10:00:01.000Z' };
    expect(() => checkSameExportTime(a, c)).toThrow(
      expect.objectContaining({ code: ErrorCodes.export.timeMismatch }),
    );
  });

  it('parses s3:// locations and folders, and refuses a bad bucket name', () => {
    expect(parseExportLocation('s3://my-bucket/exports/AWSDynamoDB/0123-abc', '--from-export')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'exports/AWSDynamoDB/0123-abc',
    });
    expect(parseExportLocation('./copy', '--to-export')).toEqual({ kind: 'folder', path: './copy' });
    expect(() => parseExportLocation('s3://Bad_Bucket/x', '--from-export')).toThrow(
      expect.objectContaining({ code: ErrorCodes.export.invalidLocation }),
    );
    expect(() => parseExportLocation(' ', '--from-export')).toThrow(/--from-export/);
  });

  it('reads every file of an export, a few at a time, as scan-shaped pages; a corrupt file stops the read', async () => {
    const items = Array.from({ length: 23 }, (_, i) =>
      decodeItem({ pk: { S: `k${i}` }, n: { N: `${i}.50` } }),
    );
    const { folder, files } = await writeExport(root, items, { files: 5 });
    const objects = new FileExportObjects(folder);
    const manifest = await readExportManifest(objects);
    const bodies: string[] = [];
    const count = await forEachExportPage(
      objects,
      manifest,
      async (page) => {
        bodies.push(Buffer.from(scanBodyOf(page)).toString('utf8'));
      },
      { concurrency: 2, pageSize: 2 },
    );
    expect(count).toBe(23);
    const keys = bodies.flatMap((body) =>
      (JSON.parse(body) as { Items: { pk: { S: string } }[] }).Items.map((item) => item.pk.S),
    );
    expect(keys.sort()).toEqual(items.map((item) => (item.pk as { S: string }).S).sort());
    expect(bodies.join('')).toContain('{"N":"3.50"}');

    const data = files.filter((file) => file.key.includes('/data/'))[3];
    if (data === undefined) throw new Error('no fourth data file');
    await writeFile(join(root, data.key), data.body.subarray(0, 10));
    const error = await errorOf(() =>
      forEachExportPage(objects, manifest, async () => {}, { concurrency: 2 }),
    );
    expect(error.code).toBe(ErrorCodes.export.corruptFile);
  });
});
