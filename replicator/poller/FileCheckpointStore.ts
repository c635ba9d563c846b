import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { makePrivate, PRIVATE_FILE_MODE } from '../../core/privateFile.js';
import type { CheckpointStore, Checkpoints } from './CheckpointStore.js';

/** Version of the checkpoint file layout. */
const FORMAT = 1;

const fileSchema = z.strictObject({
  format: z.literal(FORMAT),
  region: z.string().optional(),
  streamArn: z.string().min(1).optional(),
  savedAt: z.string().optional(),
  shards: z.record(
    z.string().min(1),
    z.strictObject({
      sequenceNumber: z
        .string()
        .regex(/^\d{1,40}$/, 'a sequence number is 1-40 digits')
        .optional(),
      finished: z.boolean(),
    }),
  ),
});

/** The checkpoint file of a region: `<replicator.checkpointDir>/checkpoint-<region>.json`. */
export const checkpointPath = (config: Pick<Config, 'replicator'>, region: string): string =>
  join(config.replicator.checkpointDir, `checkpoint-${region}.json`);

/**
 * Keeps the stream positions of `dynasync run` in a JSON file. Each save writes a temporary file
 * next to it, flushes it to disk and renames it over the old one, so a crash or power loss leaves
 * the previous positions or the new ones, never a torn file.
 *
 * ```json
 * { "format": 1, "region": "eu-west-1", "streamArn": "arn:aws:dynamodb:…/stream/2024-…",
 *   "savedAt": "2024-05-01T12:00:00.000Z",
 *   "shards": { "shardId-0001": { "sequenceNumber": "4100000000000123", "finished": false } } }
 * ```
 * @example
 * const store = FileCheckpointStore.forRegion(config, 'eu-west-1');
 */
export class FileCheckpointStore implements CheckpointStore {
  /**
   * @param path the JSON file.
   * @param region recorded in the file for people reading it. @default undefined
   */
  public constructor(
    public readonly path: string,
    private readonly region?: string,
  ) {}

  /** The store at the config's checkpoint path for a region. */
  public static forRegion(config: Pick<Config, 'replicator'>, region: string): FileCheckpointStore {
    return new FileCheckpointStore(checkpointPath(config, region), region);
  }

  /**
   * Reads the positions; a missing file means none were saved yet.
   * @throws DynasyncError `poller.checkpointCorrupt` when the file is not a checkpoint file.
   */
  public async load(): Promise<Checkpoints> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { shards: {} };
      throw error;
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (cause) {
      throw this.corrupt(`it is not valid JSON (${(cause as Error).message})`, cause);
    }
    const parsed = fileSchema.safeParse(document);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where =
        issue === undefined || issue.path.length === 0 ? '' : `${issue.path.map(String).join('.')}: `;
      throw this.corrupt(
        `it does not hold checkpoints (${where}${issue?.message ?? 'unexpected content'})`,
        parsed.error,
      );
    }
    const { streamArn, shards } = parsed.data;
    return { ...(streamArn === undefined ? {} : { streamArn }), shards };
  }

  /** Replaces the file atomically and durably with the given positions. */
  public async save(checkpoints: Checkpoints): Promise<void> {
    const document = {
      format: FORMAT,
      ...(this.region === undefined ? {} : { region: this.region }),
      ...(checkpoints.streamArn === undefined ? {} : { streamArn: checkpoints.streamArn }),
      savedAt: new Date().toISOString(),
      shards: checkpoints.shards,
    };
    const directory = dirname(this.path);
    await mkdir(directory, { recursive: true });
    const temporary = `${this.path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
    try {
      const file = await open(temporary, 'wx', PRIVATE_FILE_MODE);
      try {
        await file.writeFile(`${JSON.stringify(document, null, 2)}\n`, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      await makePrivate(temporary); // a umask never widens 0600; this is for platforms that ignore the mode
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    await syncDirectory(directory);
  }

  private corrupt(reason: string, cause: unknown): DynasyncError {
    return new DynasyncError(
      ErrorCodes.poller.checkpointCorrupt,
      `checkpoint file ${this.path} is corrupt: ${reason}. Delete it to start over: the poller then reads the stream from ` +
        'replicator.startingPosition again, and records it replays come back "stale" at the peers, which is harmless',
      { payload: { path: this.path }, cause },
    );
  }
}

/** Makes a rename durable. Some platforms cannot open a directory for syncing: then the rename is as durable as they allow. */
const syncDirectory = async (directory: string): Promise<void> => {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // EISDIR / EPERM / EINVAL on platforms without directory fsync.
  } finally {
    await handle?.close();
  }
};
