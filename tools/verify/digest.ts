import { hash } from 'node:crypto';
import { tryDecodeVersion } from '../../conflict/version.js';
import type { MetadataNames } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { canonicalNumber } from '../../core/number.js';
import type { AttributeValue, Item, WireAttributeValue, WireItem } from '../../core/types.js';
import { ItemStates, type Observation } from './types.js';

/** What must agree between a source item (after its transform) and its replica. */
export interface ComparisonRules {
  readonly names: MetadataNames;
  /**
   * Compare `<prefix>v` too. True in active-active: a replica carries the very version of the item
   * it copies, so a different version is drift. False in one-way: the replicator versions changes by
   * their place in the source's stream, a version the source item never carries.
   */
  readonly compareVersions: boolean;
}

/** The rules of a deployment: `<prefix>rep` is never compared; `<prefix>v` only in active-active. */
export const comparisonRules = (config: Pick<Config, 'topology'>, names: MetadataNames): ComparisonRules => ({
  names,
  compareVersions: config.topology.type === 'active-active',
});

/** An item as the SDK returns it (binary as bytes) or in its JSON wire form (binary as base64). */
export type AnyItem = Item | WireItem;
/** A value in either form; see {@link AnyItem}. */
export type AnyAttributeValue = AttributeValue | WireAttributeValue;

/** Canonical base64 of binary in either form (wire base64 is re-encoded: one spelling per value). */
const base64 = (bytes: Uint8Array | string): string =>
  typeof bytes === 'string'
    ? Buffer.from(bytes, 'base64').toString('base64')
    : Buffer.from(bytes).toString('base64');

/** Characters JSON.stringify would escape (and surrogates, so lone ones stay distinct). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The JSON text of a string (a fast path for the common case with nothing to escape). */
const quote = (text: string): string => (NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`);

const sortedList = (members: readonly string[]): string => `[${[...members].sort().join(',')}]`;

/**
 * Canonical text of a value: equal values (as DynamoDB compares them) give equal texts. Numbers by
 * value (`1.50` = `1.5`), sets in any order, binary by bytes, maps by sorted names, lists in order.
 * Strings and names are JSON-quoted, so the text is unambiguous.
 */
export const canonicalValue = (value: AnyAttributeValue): string => {
  if ('S' in value) return `S${quote(value.S)}`;
  if ('N' in value) return `N${canonicalNumber(value.N)}`;
  if ('M' in value) return `M${canonicalItem(value.M, undefined)}`;
  if ('BOOL' in value) return value.BOOL ? 'T' : 'F';
  if ('SS' in value) return `SS${sortedList(value.SS.map((member) => quote(member)))}`;
  if ('L' in value) {
    let text = 'L[';
    for (let i = 0; i < value.L.length; i += 1) text += (i === 0 ? '' : ',') + canonicalValue(value.L[i]!);
    return `${text}]`;
  }
  if ('B' in value) return `B${base64(value.B)}`;
  if ('NS' in value) return `NS${sortedList(value.NS.map((member) => canonicalNumber(member)))}`;
  if ('BS' in value) return `BS${sortedList((value.BS as ReadonlyArray<Uint8Array | string>).map(base64))}`;
  return 'NULL';
};

/** Canonical text of an item (or map), leaving out the attributes in `skip`. */
export const canonicalItem = (item: AnyItem, skip: ReadonlySet<string> | undefined): string => {
  const names = Object.keys(item).sort();
  let text = '{';
  let first = true;
  for (const name of names) {
    if (skip?.has(name) === true) continue;
    text += `${first ? '' : ','}${quote(name)}:${canonicalValue((item as Record<string, AnyAttributeValue>)[name]!)}`;
    first = false;
  }
  return `${text}}`;
};

const skipped = new WeakMap<ComparisonRules, ReadonlySet<string>>();

/** The attributes the rules leave out of every comparison. */
export const ignoredAttributes = (rules: ComparisonRules): ReadonlySet<string> => {
  let set = skipped.get(rules);
  if (set === undefined) {
    set = new Set(
      rules.compareVersions ? [rules.names.replicated] : [rules.names.replicated, rules.names.version],
    );
    skipped.set(rules, set);
  }
  return set;
};

/** The item without the attributes the rules ignore, for `differingAttributes`. */
export const comparableItem = (item: Item, rules: ComparisonRules): Item => {
  const ignore = ignoredAttributes(rules);
  return Object.fromEntries(Object.entries(item).filter(([name]) => !ignore.has(name)));
};

/** A 128-bit digest of an item's comparable attributes (base64url, 22 characters). */
export const itemDigest = (item: AnyItem, rules: ComparisonRules): string =>
  hash('sha256', canonicalItem(item, ignoredAttributes(rules)), 'base64url').slice(0, 22);

/**
 * Canonical text of a key, equal for equal keys in either form (numbers by value, binary by bytes),
 * with no tab or newline: the spill files' first column.
 */
export const canonicalKeyId = (key: AnyItem): string => canonicalItem(key, undefined);

/** The JSON wire form of a key (binary as base64), as `--output` writes it. */
export const wireKeyJson = (key: AnyItem): string =>
  JSON.stringify(
    Object.fromEntries(
      Object.entries(key as Record<string, AnyAttributeValue>).map(([name, value]) => [
        name,
        'B' in value && typeof value.B !== 'string' ? { B: base64(value.B) } : value,
      ]),
    ),
  );

/** The first 12 hex digits of the SHA-256 of a canonical key: identifies a key in logs without showing it. */
export const keyHashOf = (keyId: string): string => hash('sha256', keyId, 'hex').slice(0, 12);

const isTrue = (value: AnyAttributeValue | undefined): boolean =>
  value !== undefined && 'BOOL' in value && value.BOOL;

/** True when an item (in either form) is a delete marker. */
export const isDeleteMarker = (item: AnyItem, names: MetadataNames): boolean =>
  isTrue((item as Record<string, AnyAttributeValue>)[names.deleted]);

/**
 * The version text of an item: the `<prefix>v` text when it is a dynasync version, `invalid:<hash>`
 * when the attribute holds something else (still detects a change), `''` without one.
 */
export const versionOf = (item: AnyItem | undefined, names: MetadataNames): string => {
  const value = (item as Record<string, AnyAttributeValue> | undefined)?.[names.version];
  if (value === undefined) return '';
  if ('S' in value && tryDecodeVersion(value.S) !== undefined) return value.S;
  return `invalid:${hash('sha256', canonicalValue(value), 'hex').slice(0, 12)}`;
};

/**
 * What a side holds for a key, reduced to state, digest and version. A tombstone's content is not
 * compared (tombstones count as absent), only its version.
 * @example
 * observe(undefined, rules) // { state: 'absent', digest: '', version: '' }
 */
export const observe = (item: AnyItem | undefined, rules: ComparisonRules): Observation => {
  if (item === undefined) return { state: ItemStates.absent, digest: '', version: '' };
  const version = versionOf(item, rules.names);
  if (isDeleteMarker(item, rules.names)) return { state: ItemStates.tombstone, digest: '', version };
  return { state: ItemStates.live, digest: itemDigest(item, rules), version };
};
