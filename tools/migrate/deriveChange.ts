import type { Item } from '../../core/types.js';
import { deriveChange as derivePipelineChange } from '../../pipeline/deriveChange.js';
import type { DerivedChange, PipelineContext } from '../../pipeline/types.js';

export type { DerivedChange };

/** The transform is not a peer's pipeline: no regions to filter on. */
const NO_REGIONS: PipelineContext = { sourceRegion: '', targetRegion: '' };

/** The user's model transform: one legacy item becomes zero, one or several items of the new model. */
export type MigrateTransform = (oldItem: Item) => readonly Item[];

/**
 * What a change of a source item means for the derived items: the pipeline's `deriveChange` with the
 * user's transform as the only stage. The puts are the transform of the new image; the deletes are
 * the keys the old image derived that the new one no longer does, so an update that changes the
 * derived keys removes the obsolete items, and a delete removes all.
 *
 * ```
 * old image  order 7, lines [a, b, c]  → ORDER#7/ORDER, ORDER#7/ITEM#1, ITEM#2, ITEM#3
 * new image  order 7, lines [a]        → ORDER#7/ORDER, ORDER#7/ITEM#1
 * change     puts: ORDER#7/ORDER, ORDER#7/ITEM#1   deletes: ORDER#7/ITEM#2, ORDER#7/ITEM#3
 * REMOVE     puts: —                               deletes: every key the old image derived
 * ```
 */
export const deriveChange = (
  transform: MigrateTransform,
  oldImage: Item | undefined,
  newImage: Item | undefined,
  targetKeyNames: readonly string[],
): DerivedChange =>
  derivePipelineChange(
    {
      reshapes: true,
      apply: (item) => transform(item),
      keyOf: (item) => Object.fromEntries(targetKeyNames.map((name) => [name, item[name]!])),
    },
    oldImage,
    newImage,
    NO_REGIONS,
  );
