import type { ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { decodeItem } from '../../core/codec.js';
import type { WireItem } from '../../core/types.js';
import type { SegmentStart } from '../_shared/scanTable.js';
import type { BackfillCheckpoint, SegmentCheckpoint } from './CheckpointFile.js';
import { BackfillErrorCodes, backfillError } from './errors.js';

/** Encrypts and decrypts text under a deployment key (e.g. the masking key, AES-256-GCM). */
export interface KeySealer {
  seal(text: string): string;
  /** @throws DynasyncError when the text was not sealed by this key (or was changed). */
  open(sealed: string): Promise<string>;
}

/**
 * Records a written page in its segment's progress: the resume key (sealed when a sealer is given,
 * for a masking peer's keys are personal data), pages, items, and `done` after the last page.
 */
export const recordPage = (
  progress: SegmentCheckpoint,
  items: number,
  lastKey: WireItem | undefined,
  keySealer: KeySealer | undefined,
): void => {
  progress.pages += 1;
  progress.items += items;
  if (keySealer !== undefined && lastKey !== undefined) {
    progress.lastKey = null;
    progress.sealedKey = keySealer.seal(JSON.stringify(lastKey));
  } else {
    progress.lastKey = lastKey ?? null;
    delete progress.sealedKey;
  }
  progress.done = lastKey === undefined;
};

/**
 * Each segment's resume key, opened before the scan starts (sealed keys need the masking key).
 * @throws DynasyncError `backfill.checkpointMismatch` (sealed keys, no sealer now),
 *   `backfill.checkpointCorrupt` (a sealed key that does not open).
 */
export const openResumeKeys = (
  state: BackfillCheckpoint,
  keySealer: KeySealer | undefined,
  checkpointPath: string,
  to: string,
): Promise<Array<WireItem | undefined>> =>
  Promise.all(
    state.progress.map(async (progress, segment): Promise<WireItem | undefined> => {
      if (progress.done) return undefined;
      if (progress.sealedKey === undefined) return progress.lastKey ?? undefined;
      const field = `progress[${segment}].sealedKey`;
      if (keySealer === undefined)
        throw backfillError(
          BackfillErrorCodes.checkpointMismatch,
          `backfill: the checkpoint ${checkpointPath} holds sealed keys (${field}), but ${to} has no masking pipeline now; resume with the config that started the run, or remove the checkpoint to start over`,
          { checkpoint: checkpointPath, field },
        );
      try {
        return JSON.parse(await keySealer.open(progress.sealedKey)) as WireItem;
      } catch (error) {
        throw backfillError(
          BackfillErrorCodes.checkpointCorrupt,
          `backfill: the checkpoint ${checkpointPath} is corrupt: ${field} does not open with the masking key (${(error as Error).message}); remove it to start over`,
          { checkpoint: checkpointPath, field },
          error,
        );
      }
    }),
  );

/** Where a segment's scan starts: skipped when done, else after its resume key. */
export const segmentStart = (
  done: boolean,
  startKey: WireItem | undefined,
  segment: number,
): SegmentStart => {
  if (done) return { done: true };
  return startKey === undefined
    ? { done: false }
    : {
        done: false,
        exclusiveStartKey: decodeItem(
          startKey,
          `checkpoint progress[${segment}]`,
        ) as ScanCommandInput['ExclusiveStartKey'],
      };
};
