import type { Item } from '../../core/types.js';
import { canonicalKeyId } from '../verify/digest.js';

/** The user's model transform: one legacy item becomes zero, one or several items of the new model. */
export type MigrateTransform = (oldItem: Item) => readonly Item[];

/** What one source change does to the target: items to put, and obsolete derived keys to delete. */
export interface DerivedChange {
  readonly puts: Item[];
  readonly deletes: Item[];
}

/**
 * What a change of a source item means for the derived items. Pure. The puts are the transform of
 * the new image; the deletes are the keys the old image derived that the new one no longer does, so
 * an update that changes the derived keys removes the obsolete items, and a delete removes all.
 *
 * ```
 * old image  order 7, lines [a, b, c]  → ORDER#7/ORDER, ORDER#7/ITEM#1, ITEM#2, ITEM#3
 * new image  order 7, lines [a]        → ORDER#7/ORDER, ORDER#7/ITEM#1
 * change     puts: ORDER#7/ORDER, ORDER#7/ITEM#1   deletes: ORDER#7/ITEM#2, ORDER#7/ITEM#3
 * REMOVE     puts: —                               deletes: every key the old image derived
 * ```
 *
 * Same semantics as the pipeline's `deriveChange(pipeline, oldImage, newImage, context)` (issue 4):
 * when it lands, the migrate applier can call that one instead (see the README's migration notes).
 */
export const deriveChange = (
  transform: MigrateTransform,
  oldImage: Item | undefined,
  newImage: Item | undefined,
  targetKeyNames: readonly string[],
): DerivedChange => {
  const puts = newImage === undefined ? [] : [...transform(newImage)];
  const kept = new Set(puts.map((item) => canonicalKeyId(item, targetKeyNames)));
  const deletes: Item[] = [];
  const seen = new Set<string>();
  for (const item of oldImage === undefined ? [] : transform(oldImage)) {
    const id = canonicalKeyId(item, targetKeyNames);
    if (kept.has(id) || seen.has(id)) continue;
    seen.add(id);
    deletes.push(Object.fromEntries(targetKeyNames.map((name) => [name, item[name]!])));
  }
  return { puts, deletes };
};
