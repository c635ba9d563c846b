import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { decodeItem } from '../../core/codec.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { Item } from '../../core/types.js';
import type { ExportDataFile, ExportObjects } from './types.js';

/** Options of {@link readExportItems}. */
export interface ReadExportItemsOptions {
  /** Items per page handed on. @default 1000 */
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
}

const corrupt = (objects: ExportObjects, file: ExportDataFile, reason: string): DynasyncError =>
  new DynasyncError(ErrorCodes.export.corruptFile, `${objects.location}/${file.name}: ${reason}`, {
    payload: { location: objects.location, file: file.name },
  });

const invalidLine = (
  objects: ExportObjects,
  file: ExportDataFile,
  line: number,
  reason: string,
): DynasyncError =>
  new DynasyncError(
    ErrorCodes.export.invalidLine,
    `${objects.location}/${file.name} line ${line}: ${reason}`,
    {
      payload: { location: objects.location, file: file.name, line },
    },
  );

/** One line's item; its errors name the line and the attribute path, never a value. */
const parseLine = (objects: ExportObjects, file: ExportDataFile, line: number, text: string): Item => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the line, which holds item values: it is not passed on.
    throw invalidLine(objects, file, line, 'not JSON');
  }
  const item = (parsed as { Item?: unknown } | null)?.Item;
  if (typeof item !== 'object' || item === null) throw invalidLine(objects, file, line, 'no "Item" object');
  try {
    return decodeItem(item, 'Item');
  } catch (error) {
    throw invalidLine(objects, file, line, error instanceof Error ? error.message : 'not DynamoDB JSON');
  }
};

/**
 * The items of one export data file (gzip, one `{"Item": …}` in DynamoDB JSON a line), decoded
 * exactly (numbers stay strings), in pages. At the end the file's MD5 and item count are checked
 * against the manifest, so a truncated or replaced file is refused rather than read as drift. An
 * empty file (an empty partition) has no items.
 * @throws DynasyncError `export.corruptFile`, `export.invalidLine`
 */
export async function* readExportItems(
  objects: ExportObjects,
  file: ExportDataFile,
  options: ReadExportItemsOptions = {},
): AsyncGenerator<Item[]> {
  const pageSize = options.pageSize ?? 1000;
  const stream = await objects.open(file.name);
  if (stream === undefined) throw corrupt(objects, file, 'listed in manifest-files.json but not found');
  const md5 = createHash('md5');
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => {
    md5.update(chunk);
    bytes += chunk.length;
  });
  const gunzip = createGunzip();
  const lines = createInterface({ input: stream.pipe(gunzip), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let count = 0;
  let page: Item[] = [];
  try {
    for await (const text of lines) {
      line += 1;
      if (options.signal?.aborted) throw options.signal.reason;
      if (text.trim() === '') continue;
      page.push(parseLine(objects, file, line, text));
      count += 1;
      if (page.length >= pageSize) {
        yield page;
        page = [];
      }
    }
  } catch (error) {
    if (error instanceof DynasyncError || options.signal?.aborted) throw error;
    if (bytes > 0) throw corrupt(objects, file, 'not a complete gzip file');
  } finally {
    stream.destroy();
  }
  if (page.length > 0) yield page;
  const checksum = md5.digest('base64');
  if (bytes > 0 && checksum !== file.md5Checksum)
    throw corrupt(objects, file, 'its MD5 differs from manifest-files.json (a partial or replaced file)');
  if (count !== file.itemCount)
    throw corrupt(objects, file, `${count} items where manifest-files.json says ${file.itemCount}`);
}
