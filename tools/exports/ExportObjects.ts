import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { ExportObjects } from './types.js';

const checkName = (name: string): void => {
  if (name === '' || name.startsWith('/') || name.split('/').some((part) => part === '..' || part === ''))
    throw new Error(`export object "${name}" is not a relative name`);
};

/** An export copied to a local folder (the folder that holds `manifest-summary.json`). */
export class FileExportObjects implements ExportObjects {
  public readonly location: string;

  public constructor(folder: string) {
    this.location = resolve(folder);
  }

  public async open(name: string): Promise<Readable | undefined> {
    checkName(name);
    const path = join(this.location, name);
    try {
      if (!(await stat(path)).isFile()) return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return createReadStream(path);
  }
}

/** Options of {@link S3ExportObjects}. */
export interface S3ExportObjectsOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** The export's folder in the bucket: `<export-prefix>/AWSDynamoDB/<ExportId>` (no trailing slash needed). */
  readonly prefix: string;
}

/** An export in its S3 bucket, read with GetObject (the reader needs `s3:GetObject` on the prefix). */
export class S3ExportObjects implements ExportObjects {
  public readonly location: string;
  private readonly prefix: string;

  public constructor(private readonly options: S3ExportObjectsOptions) {
    this.prefix =
      options.prefix === '' || options.prefix.endsWith('/') ? options.prefix : `${options.prefix}/`;
    this.location = `s3://${options.bucket}/${this.prefix.replace(/\/$/, '')}`;
  }

  public async open(name: string): Promise<Readable | undefined> {
    checkName(name);
    try {
      const response = await this.options.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + name }),
      );
      return response.Body as Readable | undefined;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }
}

/** Where an export is: a bucket and the export's folder in it, or a local folder. */
export type ExportLocation =
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string }
  | { readonly kind: 'folder'; readonly path: string };

/**
 * Parses `--from-export`/`--to-export`: `s3://bucket/<export-prefix>/AWSDynamoDB/<ExportId>` or a
 * local folder holding a copy of the export.
 * @throws DynasyncError `export.invalidLocation`
 */
export const parseExportLocation = (text: string, flag: string): ExportLocation => {
  if (text.trim() === '')
    throw new DynasyncError(
      ErrorCodes.export.invalidLocation,
      `${flag}: give s3://bucket/prefix or a folder`,
      {
        payload: { flag },
      },
    );
  if (!text.startsWith('s3://')) return { kind: 'folder', path: text };
  const rest = text.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new DynasyncError(
      ErrorCodes.export.invalidLocation,
      `${flag}: "${bucket}" is not an S3 bucket name; give s3://bucket/<export-prefix>/AWSDynamoDB/<ExportId>`,
      { payload: { flag } },
    );
  return { kind: 's3', bucket, prefix: slash === -1 ? '' : rest.slice(slash + 1) };
};

/** The {@link ExportObjects} of a location; `s3` builds the client only when the location is on S3. */
export const openExportLocation = (location: ExportLocation, s3: () => S3Client): ExportObjects =>
  location.kind === 'folder'
    ? new FileExportObjects(location.path)
    : new S3ExportObjects({ client: s3(), bucket: location.bucket, prefix: location.prefix });
