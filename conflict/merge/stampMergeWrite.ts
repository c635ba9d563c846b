import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { AttributeValue, Item } from '../../core/types.js';
import { addDecimals, subtractDecimals } from '../_internals/decimal.js';
import { incrementClock } from '../vectorClock.js';
import { counterValue, elementKeys, setFromKeys } from './_internals/derive.js';
import { isMetadataName, readMergeMetadata, userAttributes, withMergeMetadata } from './itemState.js';
import { strategyOf } from './mergeItems.js';
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

const misuse = (path: string, message: string): DynasyncError =>
  new DynasyncError(ErrorCodes.conflict.invalidWrite, `${path}: ${message}`, { payload: { path } });

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
  const dot = `${region}:${clock[region]}`;
  const out: Record<string, AttributeValue> = {
    ...(stored === undefined ? {} : userAttributes(stored, names)),
    ...keys,
  };
  const attributeVersions: Record<string, string> = { ...meta.attributeVersions };
  const counters: Record<string, Record<string, string>> = Object.fromEntries(
    Object.entries(meta.counters).map(([name, perRegion]) => [name, { ...perRegion }]),
  );
  const setDots: Record<string, Record<string, readonly string[]>> = Object.fromEntries(
    Object.entries(meta.setDots).map(([name, perElement]) => [name, { ...perElement }]),
  );
  const isKey = (name: string) => keys[name] !== undefined;

  const setCounter = (name: string, target: string) => {
    counters[name] ??= {};
    const perRegion = counters[name];
    const total = counterValue(perRegion, name);
    const own = perRegion[region] ?? '0';
    perRegion[region] = addDecimals(
      [own, subtractDecimals(target, 'N' in total ? total.N : '0', name)],
      name,
    );
    out[name] = counterValue(perRegion, name);
  };
  const setSet = (name: string, keysOfElements: readonly string[]) => {
    setDots[name] = Object.fromEntries(keysOfElements.map((key) => [key, [dot]]));
    const value = setFromKeys(keysOfElements);
    if (value === undefined) delete out[name];
    else out[name] = value;
  };
  const setAttribute = (name: string, value: AttributeValue) => {
    if (isMetadataName(name, names))
      throw misuse(name, 'dynasync metadata cannot be written by the application');
    if (isKey(name)) return;
    const strategy = strategyOf(spec, name);
    if (strategy === 'counter') {
      if (!('N' in value)) throw misuse(name, 'a counter attribute takes numbers (N) only');
      setCounter(name, value.N);
    } else if (strategy === 'set') {
      const elements = elementKeys(value, name);
      if (elements.length === 0) throw misuse(name, 'a set attribute takes SS, NS or BS values only');
      setSet(name, elements);
    } else {
      out[name] = value;
      if (strategy === 'lww') attributeVersions[name] = version;
    }
  };
  const removeAttribute = (name: string) => {
    if (isKey(name) || isMetadataName(name, names)) return;
    const strategy = strategyOf(spec, name);
    if (strategy === 'counter') setCounter(name, '0');
    else if (strategy === 'set') setSet(name, []);
    else {
      delete out[name];
      if (strategy === 'lww') attributeVersions[name] = version;
    }
  };
  const everyAttribute = () =>
    [
      ...new Set([
        ...Object.keys(out),
        ...Object.keys(attributeVersions),
        ...Object.keys(counters),
        ...Object.keys(setDots),
      ]),
    ].filter((name) => !isKey(name) && !isMetadataName(name, names));

  if (write.type === 'put') {
    for (const name of everyAttribute()) if (write.item[name] === undefined) removeAttribute(name);
    for (const [name, value] of Object.entries(write.item)) setAttribute(name, value);
  } else if (write.type === 'delete') {
    for (const name of everyAttribute()) removeAttribute(name);
  } else {
    for (const [name, value] of Object.entries(write.set ?? {})) setAttribute(name, value);
    for (const name of write.remove ?? []) removeAttribute(name);
    for (const [name, delta] of Object.entries(write.add ?? {})) {
      if (strategyOf(spec, name) !== 'counter')
        throw misuse(name, 'only counter attributes can be incremented');
      counters[name] ??= {};
      const perRegion = counters[name];
      perRegion[region] = addDecimals([perRegion[region] ?? '0', delta], name);
      out[name] = counterValue(perRegion, name);
    }
    for (const [name, value] of Object.entries(write.addToSet ?? {})) {
      if (strategyOf(spec, name) !== 'set') throw misuse(name, 'only set attributes take addToSet');
      setDots[name] ??= {};
      const perElement = setDots[name];
      for (const key of elementKeys(value, name)) perElement[key] = [dot];
      const added = setFromKeys(Object.keys(perElement));
      if (added !== undefined) out[name] = added;
    }
    for (const [name, value] of Object.entries(write.removeFromSet ?? {})) {
      if (strategyOf(spec, name) !== 'set') throw misuse(name, 'only set attributes take removeFromSet');
      setDots[name] ??= {};
      const perElement = setDots[name];
      for (const key of elementKeys(value, name)) delete perElement[key];
      const remaining = setFromKeys(Object.keys(perElement));
      if (remaining === undefined) delete out[name];
      else out[name] = remaining;
    }
  }

  attributeVersions[names.deleted] = version;
  delete out[names.deleted];
  delete out[names.expires];
  if (write.type === 'delete') {
    out[names.deleted] = { BOOL: true };
    out[names.expires] = { N: context.expiresAt };
  }
  for (const name of Object.keys(setDots)) if (Object.keys(setDots[name]!).length === 0) delete setDots[name];
  return withMergeMetadata(out, { clock, version, attributeVersions, counters, setDots }, names);
};
