import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeItem } from '../../core/codec.js';
import type { Item } from '../../core/types.js';

/** Options of {@link writeExport}. */
export interface WriteExportOptions {
  /** Data files to spread the items over (round robin; a file may be empty). @default 3 */
  readonly files?: number;
  /** @default '2026-12-01T10:00:00.000Z' */
  readonly exportTime?: string;
  /** @default 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders' */
  readonly tableArn?: string;
  /** @default 'exports' */
  readonly exportPrefix?: string;
  /** @default '01764583200000-a1b2c3d4' */
  readonly exportId?: string;
  /** Replaces the summary's fields (e.g. `{ outputFormat: 'ION' }`). */
  readonly summary?: Readonly<Record<string, unknown>>;
}

const md5 = (bytes: Buffer | string): string => createHash('md5').update(bytes).digest('base64');

/**
 * Writes the items as a DynamoDB full export in DynamoDB JSON, in exactly the layout of the
 * developer guide's "DynamoDB table export output format", under `bucketRoot` (a folder standing for
 * the bucket): `<exportPrefix>/AWSDynamoDB/<exportId>/{manifest-summary.json, manifest-summary.checksum,
 * manifest-files.json, manifest-files.checksum, _started, data/<name>.json.gz}`. Keys in the
 * manifests are bucket-relative, as S3 has them. Returns the export's folder.
 */
export const writeExport = async (
  bucketRoot: string,
  items: readonly Item[],
  options: WriteExportOptions = {},
): Promise<{ folder: string; key: string; files: { key: string; body: Buffer }[] }> => {
  const exportId = options.exportId ?? '01764583200000-a1b2c3d4';
  const key = `${options.exportPrefix ?? 'exports'}/AWSDynamoDB/${exportId}`;
  const folder = join(bucketRoot, key);
  await mkdir(join(folder, 'data'), { recursive: true });
  const fileCount = options.files ?? 3;
  const buckets: Item[][] = Array.from({ length: fileCount }, () => []);
  for (const [index, item] of items.entries()) buckets[index % fileCount]?.push(item);
  const written: { key: string; body: Buffer }[] = [];
  const lines: string[] = [];
  for (const [index, bucket] of buckets.entries()) {
    const name = `data/${createHash('sha1').update(`${exportId}-${index}`).digest('hex').slice(0, 26)}.json.gz`;
    const text = bucket.map((item) => `${JSON.stringify({ Item: encodeItem(item) })}\n`).join('');
    const body = gzipSync(text);
    written.push({ key: `${key}/${name}`, body });
    lines.push(
      JSON.stringify({
        itemCount: bucket.length,
        md5Checksum: md5(body),
        etag: `${createHash('md5').update(body).digest('hex')}-1`,
        dataFileS3Key: `${key}/${name}`,
      }),
    );
  }
  const filesManifest = `${lines.join('\n')}\n`;
  const tableArn = options.tableArn ?? 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders';
  const exportTime = options.exportTime ?? '2026-12-01T10:00:00.000Z';
  const summary = JSON.stringify({
    version: '2020-06-30',
    exportArn: `${tableArn}/export/${exportId}`,
    startTime: exportTime,
    endTime: exportTime,
    tableArn,
    tableId: '12345a12-abcd-123a-ab12-1234abc12345',
    exportTime,
    s3Bucket: 'dynasync-exports',
    s3Prefix: options.exportPrefix ?? 'exports',
    s3SseAlgorithm: 'AES256',
    s3SseKmsKeyId: null,
    manifestFilesS3Key: `${key}/manifest-files.json`,
    billedSizeBytes: 0,
    itemCount: items.length,
    outputFormat: 'DYNAMODB_JSON',
    exportType: 'FULL_EXPORT',
    ...options.summary,
  });
  const objects: [string, Buffer][] = [
    ['_started', Buffer.alloc(0)],
    ['manifest-summary.json', Buffer.from(summary)],
    ['manifest-summary.checksum', Buffer.from(createHash('md5').update(summary).digest('hex'))],
    ['manifest-files.json', Buffer.from(filesManifest)],
    ['manifest-files.checksum', Buffer.from(createHash('md5').update(filesManifest).digest('hex'))],
  ];
  for (const [name, body] of objects) written.push({ key: `${key}/${name}`, body });
  for (const file of written) await writeFile(join(bucketRoot, file.key), file.body);
  return { folder, key, files: written };
};
