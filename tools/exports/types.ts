import type { Readable } from 'node:stream';

/**
 * The objects of one DynamoDB export to S3, named relative to the export's folder
 * (`<export-prefix>/AWSDynamoDB/<ExportId>/`): `manifest-summary.json`, `manifest-files.json`,
 * `data/<name>.json.gz`. Implemented on S3 and on a local folder (a copy of the export).
 */
export interface ExportObjects {
  /** Where the export is, for messages: `s3://bucket/prefix/AWSDynamoDB/<ExportId>` or a folder. */
  readonly location: string;
  /** The object as a byte stream, or `undefined` when there is none. */
  open(name: string): Promise<Readable | undefined>;
}

/** One data file of an export, as `manifest-files.json` lists it. */
export interface ExportDataFile {
  /** Relative to the export's folder: `data/<name>.json.gz`. */
  readonly name: string;
  readonly itemCount: number;
  /** Base64 MD5 of the file's (compressed) bytes. */
  readonly md5Checksum: string;
}

/** What {@link readExportManifest} reads of `manifest-summary.json` and `manifest-files.json`. */
export interface ExportManifest {
  readonly location: string;
  readonly exportArn: string;
  readonly tableArn: string;
  /** The instant the export is consistent at (ISO 8601): two exports compare only at the same one. */
  readonly exportTime: string;
  readonly itemCount: number;
  readonly files: readonly ExportDataFile[];
}
