import { mkdir, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { decodeItem } from '../../core/codec.js';
import { writePrivateFile } from '../../core/privateFile.js';
import type { WireItem } from '../../core/types.js';
import { BackfillErrorCodes, backfillError } from './errors.js';
import { type WritePath, WritePaths } from './types.js';

/**
 * Progress of one scan segment. The resume key is `lastKey` in clear, or, for a peer whose pipeline
 * masks, `sealedKey`: the same JSON encrypted under the masking key (the `encrypt` format,
 * `dsenc1.<key id>.<data>`), since the source's keys may be personal data.
 */
export interface SegmentCheckpoint {
  /** True once the segment's last page is written. */
  done: boolean;
  /** `LastEvaluatedKey` of the last page written (JSON wire form); `null` before the first, or when sealed. */
  lastKey: WireItem | null;
  /** `LastEvaluatedKey` of the last page written, sealed (masking peers). */
  sealedKey?: string;
  pages: number;
  /** Source items of the pages written. */
  items: number;
}

/** The checkpoint of a backfill run: what identifies the run, and each segment's progress. */
export interface BackfillCheckpoint {
  readonly format: 'dynasync-backfill/1';
  readonly from: string;
  readonly to: string;
  readonly sourceTable: string;
  readonly targetTable: string;
  readonly segments: number;
  readonly path: WritePath;
  readonly startedAt: string;
  complete: boolean;
  readonly progress: SegmentCheckpoint[];
}

const count = z.number().int().nonnegative();

const segmentSchema = z.strictObject({
  done: z.boolean(),
  lastKey: z
    .record(z.string(), z.unknown())
    .nullable()
    .superRefine((key, context) => {
      if (key === null) return;
      try {
        decodeItem(key, 'lastKey');
      } catch (error) {
        context.addIssue({ code: 'custom', message: `not a DynamoDB key (${(error as Error).message})` });
      }
    }),
  sealedKey: z.string().startsWith('dsenc1.', 'a sealed key is a "dsenc1." ciphertext').optional(),
  pages: count,
  items: count,
});

const checkpointSchema = z
  .strictObject({
    format: z.literal('dynasync-backfill/1'),
    from: z.string().min(1),
    to: z.string().min(1),
    sourceTable: z.string().min(1),
    targetTable: z.string().min(1),
    segments: z.number().int().min(1).max(1_000_000),
    path: z.enum([WritePaths.conditional, WritePaths.batch]),
    startedAt: z.string(),
    complete: z.boolean(),
    progress: z.array(segmentSchema),
  })
  .superRefine((state, context) => {
    if (state.progress.length !== state.segments)
      context.addIssue({
        code: 'custom',
        path: ['progress'],
        message: `${state.progress.length} segments of progress for "segments": ${state.segments}`,
      });
    state.progress.forEach((segment, index) => {
      if (segment.lastKey !== null && segment.sealedKey !== undefined)
        context.addIssue({
          code: 'custom',
          path: ['progress', index, 'sealedKey'],
          message: 'both lastKey and sealedKey are set',
        });
      if (!segment.done && segment.pages > 0 && segment.lastKey === null && segment.sealedKey === undefined)
        context.addIssue({
          code: 'custom',
          path: ['progress', index, 'lastKey'],
          message: 'an unfinished segment with pages written has no resume key',
        });
    });
    if (state.complete && state.progress.some((segment) => !segment.done))
      context.addIssue({
        code: 'custom',
        path: ['complete'],
        message: 'the run is complete but a segment is not done',
      });
  });

/** `progress.0.done`-style text of a zod issue path. */
const fieldOf = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (text, part) =>
      typeof part === 'number' ? `${text}[${part}]` : `${text}${text === '' ? '' : '.'}${String(part)}`,
    '',
  );

/**
 * A backfill checkpoint in a local JSON file (mode 0600), replaced atomically (written to `FILE.tmp`, then
 * renamed), so a crash leaves the previous state or the next one, never a torn file.
 *
 * A segment's progress is saved after each of its pages is written, and only then is the next page
 * of that segment written: a page is *finished* exactly when the checkpoint says so, and `--resume`
 * starts each segment after its last finished page.
 *
 * ```
 * segment 2: [page 7 read]──writes──✓──save(lastKey of page 7)──[page 8 writes]──✗ SIGKILL
 * resume:    segment 2 starts after page 7's key: page 8 is written again (conditionally), 1-7 never
 * ```
 */
export class CheckpointFile {
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    public readonly path: string,
    public readonly state: BackfillCheckpoint,
  ) {}

  /** Reads a checkpoint; `undefined` when the file does not exist. */
  public static async read(path: string): Promise<BackfillCheckpoint | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw backfillError(
        BackfillErrorCodes.checkpointMismatch,
        `backfill: cannot read the checkpoint ${path}: ${(error as Error).message}`,
        { checkpoint: path },
        error,
      );
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw backfillError(
        BackfillErrorCodes.checkpointCorrupt,
        `backfill: the checkpoint ${path} is not JSON (${(error as Error).message}); remove it to start over, or name another --checkpoint`,
        { checkpoint: path, field: '' },
        error,
      );
    }
    const parsed = checkpointSchema.safeParse(document);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = fieldOf(issue.path);
      throw backfillError(
        BackfillErrorCodes.checkpointCorrupt,
        `backfill: the checkpoint ${path} is corrupt: ${field === '' ? '' : `${field}: `}${issue.message}; remove it to start over (items already written are found stale), or name another --checkpoint`,
        { checkpoint: path, field },
        parsed.error,
      );
    }
    return parsed.data as BackfillCheckpoint;
  }

  /** Opens a checkpoint for this run (a new one, or one read back for `--resume`) and saves it. */
  public static async open(path: string, state: BackfillCheckpoint): Promise<CheckpointFile> {
    await mkdir(dirname(path), { recursive: true });
    const file = new CheckpointFile(path, state);
    await file.save();
    return file;
  }

  /** Saves the current state; saves are queued, each writes the state as it is when it runs. */
  public save(): Promise<void> {
    const next = this.chain.then(async () => {
      const tmp = `${this.path}.tmp`;
      await writePrivateFile(tmp, JSON.stringify(this.state));
      await rename(tmp, this.path);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Source items done, over every segment. */
  public static itemsDone(state: BackfillCheckpoint): number {
    return state.progress.reduce((sum, segment) => sum + segment.items, 0);
  }
}
