import { createHash } from 'node:crypto';
import { sequenceNumberOf } from '../decodeRecord.js';
import type { StreamRecord } from '../types.js';

/**
 * A dead letter's id: the same for the same record, target and error, so a batch redelivered after a
 * crash (dead-lettered, then killed before its checkpoint) yields the same letter again, which
 * redrive collapses.
 */
export const deadLetterId = (
  sourceRegion: string,
  record: StreamRecord,
  index: number,
  targets: readonly string[],
  code: string,
): string =>
  createHash('sha256')
    .update(
      JSON.stringify([
        sourceRegion,
        sequenceNumberOf(record) ??
          (typeof record === 'object' && record !== null && typeof record.eventID === 'string'
            ? record.eventID
            : `#${index}`),
        [...targets].sort(),
        code,
      ]),
    )
    .digest('hex')
    .slice(0, 32);
