import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { JobStore } from './protocol.js';

/** Options of {@link S3JobStore}. */
export interface S3JobStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Prepended to every key (`team-a/` → `team-a/jobs/<jobId>/…`). @default '' */
  readonly prefix?: string;
  /** KMS key id or ARN: objects are written with SSE-KMS under it. @default the bucket's default encryption */
  readonly kmsKeyId?: string;
}

/**
 * A {@link JobStore} on S3: one object per key under `prefix`, SSE-KMS when a key is given. The
 * bucket the `DynasyncScaleout` construct creates encrypts with its key by default and expires jobs
 * by a lifecycle rule.
 * @example
 * const store = new S3JobStore({ client: new S3Client({}), bucket: 'dynasync-jobs', kmsKeyId: keyArn });
 */
export class S3JobStore implements JobStore {
  private readonly prefix: string;

  public constructor(private readonly options: S3JobStoreOptions) {
    this.prefix = options.prefix ?? '';
  }

  public async put(key: string, body: string | Uint8Array): Promise<void> {
    // Bytes with their length: the SDK warns of "a Stream of unknown length" for an empty string.
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await this.options.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: this.prefix + key,
        Body: bytes,
        ContentLength: bytes.byteLength,
        ...(this.options.kmsKeyId === undefined
          ? {}
          : { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.options.kmsKeyId }),
      }),
    );
  }

  public async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const response = await this.options.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }),
      );
      return response.Body === undefined ? new Uint8Array() : await response.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  public async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.options.client.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: this.prefix + prefix,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      for (const object of page.Contents ?? [])
        if (object.Key !== undefined) keys.push(object.Key.slice(this.prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys.sort();
  }
}
