import { keyIdOf } from '../core/keyId.js';
import type { Item } from '../core/types.js';
import type { DerivedChange, Pipeline, PipelineContext } from './types.js';

/**
 * What a change of one source item means for a peer: `puts` = the pipeline's output for the new
 * image; `deletes` = the keys derived from the old image that no put has any more. A map that
 * moves an item to another key thus removes the item it derived before; a filter that stops
 * matching removes the replica.
 *
 * ```
 * old image ─► apply ─► keys {A, B}        deletes = {A, B} − {B, C} = {A}
 * new image ─► apply ─► items at {B, C}    puts    = items at B and C
 * ```
 * A delete has no new image; an insert has no old one. Both images are of the same source item
 * (the same source key).
 */
export const deriveChange = (
  pipeline: Pick<Pipeline, 'apply' | 'keyOf' | 'reshapes'>,
  oldImage: Item | undefined,
  newImage: Item | undefined,
  context: PipelineContext,
): DerivedChange => {
  const puts = newImage === undefined ? [] : pipeline.apply(newImage, context);
  // Without a map stage the old image can only derive the same key as the put: nothing to delete.
  if (!pipeline.reshapes && puts.length === 1) return { puts, deletes: [] };
  const taken = new Set(puts.map((put) => keyIdOf(pipeline.keyOf(put))));
  const deletes: Item[] = [];
  if (oldImage !== undefined) {
    for (const old of pipeline.apply(oldImage, context)) {
      const key = pipeline.keyOf(old);
      const text = keyIdOf(key);
      if (taken.has(text)) continue;
      taken.add(text);
      deletes.push(key);
    }
  }
  return { puts, deletes };
};
