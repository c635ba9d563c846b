import type { AttributeValue, Item } from '../../core/types.js';
import { incrementClock } from '../vectorClock.js';
import { StampDraft } from './_internals/StampDraft.js';
import { readMergeMetadata } from './itemState.js';
import type { MergeNames, MergeSpec } from './types.js';

/** An application write under the merge strategy, in terms of attributes (not an expression). */
export type MergeWrite =
  /** Replace the item: every attribute not given is removed (counters reset to 0, sets emptied). */
  | { readonly type: 'put'; readonly item: Item }
  | {
      readonly type: 'update';
      /** Attributes to set (a counter is set to the value: its region's contribution absorbs the difference). */
      readonly set?: Item;
      /** Attributes to remove. */
      readonly remove?: readonly string[];
      /** Counter increments (negative to decrement), exact decimal strings. */
      readonly add?: Readonly<Record<string, string>>;
      /** Elements to add to sets (an SS, NS or BS value per attribute). */
      readonly addToSet?: Readonly<Record<string, AttributeValue>>;
      /** Elements to remove from sets. */
      readonly removeFromSet?: Readonly<Record<string, AttributeValue>>;
    }
  /** Delete: a tombstone that removes every attribute it has seen. */
  | { readonly type: 'delete' };

/** What stamping needs besides the write. */
export interface StampMergeContext {
  /** The region the application writes in. */
  readonly region: string;
  /** The write's HLC version text, newer than the stored item's `<prefix>v`. */
  readonly version: string;
  /** Epoch seconds after which TTL may remove the tombstone (deletes only). */
  readonly expiresAt: string;
  readonly spec: MergeSpec;
  readonly names: MergeNames;
}

/**
 * The item an application write leaves behind under the merge strategy: the stored item (or the keys)
 * with the write applied, the region's vector-clock entry incremented, and the per-attribute state that
 * lets a concurrent write in another region be merged with it (attribute versions, counter
 * contributions, set dots). Pure; the client helper reads the stored item, stamps, and writes it back
 * conditionally on the clock being unchanged.
 *
 * @example
 * stampMergeWrite(stored, { pk: { S: 'o#1' } }, { type: 'update', add: { views: '1' } }, context)
 */
export const stampMergeWrite = (
  stored: Item | undefined,
  keys: Item,
  write: MergeWrite,
  context: StampMergeContext,
): Item => {
  const { names, spec, region, version } = context;
  const meta = readMergeMetadata(stored ?? {}, names);
  const clock = incrementClock(meta.clock, region);
  const draft = new StampDraft(stored, meta, { region, version, clock, keys, spec, names });
  if (write.type === 'put') {
    for (const name of draft.everyAttribute())
      if (write.item[name] === undefined) draft.removeAttribute(name);
    for (const [name, value] of Object.entries(write.item)) draft.setAttribute(name, value);
  } else if (write.type === 'delete') {
    for (const name of draft.everyAttribute()) draft.removeAttribute(name);
  } else {
    applyUpdate(draft, write);
  }
  return draft.finish(write.type === 'delete' ? { expiresAt: context.expiresAt } : undefined);
};

/** An `update` write's parts, in order: set, remove, add, addToSet, removeFromSet. */
const applyUpdate = (draft: StampDraft, write: Extract<MergeWrite, { readonly type: 'update' }>): void => {
  for (const [name, value] of Object.entries(write.set ?? {})) draft.setAttribute(name, value);
  for (const name of write.remove ?? []) draft.removeAttribute(name);
  for (const [name, delta] of Object.entries(write.add ?? {})) draft.addToCounter(name, delta);
  for (const [name, value] of Object.entries(write.addToSet ?? {})) draft.addToSet(name, value);
  for (const [name, value] of Object.entries(write.removeFromSet ?? {})) draft.removeFromSet(name, value);
};
