import type { Readable } from 'node:stream';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { ExportDataFile, ExportManifest, ExportObjects } from './types.js';

const readText = async (stream: Readable): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8');
};

const manifestError = (objects: ExportObjects, name: string, reason: string): DynasyncError =>
  new DynasyncError(ErrorCodes.export.invalidManifest, `${objects.location}/${name}: ${reason}`, {
    payload: { location: objects.location, object: name },
  });

const readJsonObject = async (objects: ExportObjects, name: string): Promise<string> => {
  const stream = await objects.open(name);
  if (stream === undefined)
    throw manifestError(
      objects,
      name,
      'not found; point at the export folder that holds manifest-summary.json (…/AWSDynamoDB/<ExportId>)',
    );
  return readText(stream);
};

const field = <T>(
  objects: ExportObjects,
  name: string,
  record: Record<string, unknown>,
  key: string,
  type: 'string' | 'number',
): T => {
  const value = record[key];
  if (typeof value !== type) throw manifestError(objects, name, `"${key}" is missing or not a ${type}`);
  return value as T;
};

const parseObject = (objects: ExportObjects, name: string, text: string): Record<string, unknown> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message quotes the text: it is not repeated here.
    throw manifestError(objects, name, 'not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw manifestError(objects, name, 'not a JSON object');
  return parsed as Record<string, unknown>;
};

/** `data/<name>` of a manifest line's `dataFileS3Key` (the key is bucket-relative, the folder is not). */
const dataFileName = (key: string): string | undefined => {
  const at = key.lastIndexOf('data/');
  return at === -1 || key.length === at + 'data/'.length ? undefined : key.slice(at);
};

const parseFilesManifest = (objects: ExportObjects, text: string): ExportDataFile[] => {
  const name = 'manifest-files.json';
  const files: ExportDataFile[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const where = `${name} line ${index + 1}`;
    const record = parseObject(objects, where, line);
    const key = field<string>(objects, where, record, 'dataFileS3Key', 'string');
    const file = dataFileName(key);
    if (file === undefined)
      throw manifestError(objects, where, '"dataFileS3Key" does not name a file under data/');
    files.push({
      name: file,
      itemCount: field<number>(objects, where, record, 'itemCount', 'number'),
      md5Checksum: field<string>(objects, where, record, 'md5Checksum', 'string'),
    });
  }
  return files;
};

/**
 * Reads an export's two manifests (layout of "DynamoDB table export output format" in the
 * DynamoDB developer guide):
 *
 * ```
 * <export-prefix>/AWSDynamoDB/<ExportId>/manifest-summary.json   exportTime, itemCount, outputFormat, …
 *                                        manifest-files.json     one JSON line per data file:
 *                                                                {itemCount, md5Checksum, etag, dataFileS3Key}
 *                                        data/<name>.json.gz     one {"Item": {…DynamoDB JSON…}} a line
 * ```
 * @throws DynasyncError `export.invalidManifest` (missing, not JSON, a field missing) or
 * `export.unsupportedFormat` (ION, or an incremental export).
 */
export const readExportManifest = async (objects: ExportObjects): Promise<ExportManifest> => {
  const summaryName = 'manifest-summary.json';
  const summary = parseObject(objects, summaryName, await readJsonObject(objects, summaryName));
  const format = summary.outputFormat ?? 'DYNAMODB_JSON';
  const exportType = summary.exportType ?? 'FULL_EXPORT';
  if (format !== 'DYNAMODB_JSON' || exportType !== 'FULL_EXPORT')
    throw new DynasyncError(
      ErrorCodes.export.unsupportedFormat,
      `${objects.location}: a ${String(exportType)} in ${String(format)}; dynasync reads full exports in DYNAMODB_JSON`,
      { payload: { location: objects.location } },
    );
  const files = parseFilesManifest(objects, await readJsonObject(objects, 'manifest-files.json'));
  return {
    location: objects.location,
    exportArn: field<string>(objects, summaryName, summary, 'exportArn', 'string'),
    tableArn: field<string>(objects, summaryName, summary, 'tableArn', 'string'),
    exportTime: field<string>(objects, summaryName, summary, 'exportTime', 'string'),
    itemCount: field<number>(objects, summaryName, summary, 'itemCount', 'number'),
    files,
  };
};

/**
 * Two exports compare only when taken at the same instant (`ExportTime` of ExportTableToPointInTime).
 * @throws DynasyncError `export.timeMismatch`
 */
export const checkSameExportTime = (source: ExportManifest, target: ExportManifest): void => {
  if (Date.parse(source.exportTime) === Date.parse(target.exportTime)) return;
  throw new DynasyncError(
    ErrorCodes.export.timeMismatch,
    `the exports were taken at ${source.exportTime} and ${target.exportTime}: export both tables with the same --export-time so the comparison is of one instant`,
    { payload: { source: source.location, target: target.location } },
  );
};
