import { encodeItem } from '../../core/codec.js';
import type { WireItem } from '../../core/types.js';
import type { WriteResult } from '../types.js';
import type { MergeWriteResult } from './MergePeerWriter.js';

/** True when a write result reports a detected conflict (merge strategy). */
export const isConflictResult = (result: WriteResult): boolean =>
  (result as MergeWriteResult).conflict !== undefined;

/** `{ storedItem }` for a dead letter of a failed merge (both versions), else nothing. */
export const storedItemOf = (result: WriteResult): { storedItem?: WireItem } => {
  const stored = (result as MergeWriteResult).storedItem;
  return stored === undefined ? {} : { storedItem: encodeItem(stored) };
};
