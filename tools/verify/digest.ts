import { hash } from 'node:crypto';
import type { MetadataNames } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { parseNumber } from '../../core/number.js';
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
export const canonicalBase64 = (bytes: Uint8Array | string): string =>
  typeof bytes === 'string'
    ? Buffer.from(bytes, 'base64').toString('base64')
    : Buffer.from(bytes).toString('base64');

/** Characters JSON.stringify would escape (and surrogates, so lone ones stay distinct). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The JSON text of a string (a fast path for the common case with nothing to escape). */
const quote = (text: string): string => (NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`);

/** True when `members` are in ascending code-unit order (sets from DynamoDB usually are). */
const inOrder = (members: readonly string[]): boolean => {
  for (let i = 1; i < members.length; i += 1) if (!(members[i - 1]! < members[i]!)) return false;
  return true;
};

/** A set's canonical text from its members' canonical texts: `[a,b]`, sorted by code unit. */
export const sortedList = (members: readonly string[]): string =>
  `[${(inOrder(members) ? members : [...members].sort()).join(',')}]`;

/** A number already in its canonical spelling: plain, no leading or trailing zeros, no exponent, no "+". */
export const PLAIN_DECIMAL_SOURCE = '-?(?:0|[1-9]\\d*)(?:\\.\\d*[1-9])?';
const PLAIN_DECIMAL = new RegExp(`^${PLAIN_DECIMAL_SOURCE}$`);

/**
 * The one plain spelling of a number's value: `1.50`, `15E-1` and `+1.5` all give `1.5`; `-0` gives
 * `0`. It is also how DynamoDB returns numbers, so values read from a table are usually already in it
 * (checked with one regular expression), and it is a valid DynamoDB number (keys are rebuilt from it).
 */
export const canonicalDecimal = (text: string): string => {
  if (PLAIN_DECIMAL.test(text) && text !== '-0') return text;
  const parsed = parseNumber(text);
  if (parsed === undefined) return `invalid:${text}`;
  const { digits, exponent } = parsed;
  if (digits === '') return '0';
  const sign = parsed.negative ? '-' : '';
  if (exponent >= digits.length - 1) return sign + digits + '0'.repeat(exponent - (digits.length - 1));
  if (exponent >= 0) return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
};

/** The JSON text of a number's canonical spelling (quoted, as the wire form holds it). */
export const numberText = (text: string): string => {
  const canonical = canonicalDecimal(text);
  return canonical.startsWith('invalid:') ? JSON.stringify(canonical) : `"${canonical}"`;
};

/**
 * Canonical text of a value: its JSON wire form, spelled one way for each value as DynamoDB compares
 * them. Numbers by value (`1.50` = `1.5`), sets sorted (by their members' JSON text), binary in
 * canonical base64, maps with names sorted, lists in order, strings as `JSON.stringify` quotes them.
 * A value DynamoDB sent in that spelling already is its own canonical text, so `readScanPage` can
 * take it from a response body as it stands.
 * @example canonicalValue({ NS: ['2', '1.50'] }) // '{"NS":["1.5","2"]}'
 */
export const canonicalValue = (value: AnyAttributeValue): string => {
  if ('S' in value) return `{"S":${quote(value.S)}}`;
  if ('N' in value) return `{"N":${numberText(value.N)}}`;
  if ('M' in value) return `{"M":${canonicalItem(value.M, undefined)}}`;
  if ('BOOL' in value) return value.BOOL ? '{"BOOL":true}' : '{"BOOL":false}';
  if ('SS' in value) return `{"SS":${sortedList(value.SS.map((member) => quote(member)))}}`;
  if ('L' in value) {
    let text = '{"L":[';
    for (let i = 0; i < value.L.length; i += 1) text += (i === 0 ? '' : ',') + canonicalValue(value.L[i]!);
    return `${text}]}`;
  }
  if ('B' in value) return `{"B":"${canonicalBase64(value.B)}"}`;
  if ('NS' in value) return `{"NS":${sortedList(value.NS.map(numberText))}}`;
  if ('BS' in value)
    return `{"BS":${sortedList((value.BS as ReadonlyArray<Uint8Array | string>).map((member) => `"${canonicalBase64(member)}"`))}}`;
  return '{"NULL":true}';
};

/** Sorted names and their JSON text, by an item's names in their original order (items share shapes). */
const shapes = new Map<string, ReadonlyArray<readonly [string, string]>>();
const SHAPE_CACHE_LIMIT = 10_000;

/** The last few shapes seen (an item and its nested maps), checked before the map: no allocation. */
const recentShapes: Array<{
  readonly names: readonly string[];
  readonly sorted: ReadonlyArray<readonly [string, string]>;
}> = [];
const RECENT_SHAPES = 8;

/** True when an object's own names are exactly `names`, in that order. */
const hasShape = (item: AnyItem, names: readonly string[]): boolean => {
  let i = 0;
  for (const name in item) {
    if (names[i] !== name) return false;
    i += 1;
  }
  return i === names.length;
};

const sortedNames = (item: AnyItem): ReadonlyArray<readonly [string, string]> => {
  for (const shape of recentShapes) if (hasShape(item, shape.names)) return shape.sorted;
  const names = Object.keys(item);
  const sorted = shapeOf(names);
  if (recentShapes.unshift({ names, sorted }) > RECENT_SHAPES) recentShapes.pop();
  return sorted;
};

const shapeOf = (names: string[]): ReadonlyArray<readonly [string, string]> => {
  const shape = names.join('\u0000');
  let sorted = shapes.get(shape);
  if (sorted === undefined) {
    sorted = [...names].sort().map((name) => [name, quote(name)] as const);
    if (shapes.size >= SHAPE_CACHE_LIMIT) shapes.clear();
    shapes.set(shape, sorted);
  }
  return sorted;
};

/**
 * Canonical text of an item (or map), leaving out the attributes in `skip`: its JSON wire form with
 * names sorted and each value's {@link canonicalValue}.
 */
export const canonicalItem = (item: AnyItem, skip: ReadonlySet<string> | undefined): string => {
  const values = item as Record<string, AnyAttributeValue>;
  let text = '{';
  let first = true;
  for (const [name, quoted] of sortedNames(item)) {
    if (skip?.has(name) === true) continue;
    text += `${first ? '' : ','}${quoted}:${canonicalValue(values[name]!)}`;
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

/** Sorted key names with their JSON text, by the names as given. */
const keyShapes = new Map<string, ReadonlyArray<readonly [string, string]>>();

/**
 * Canonical text of a key: its JSON wire form with names sorted, numbers in their plain spelling
 * (see {@link canonicalDecimal}) and binary in canonical base64. Equal keys give equal texts, in
 * either item form; it holds no tab or newline (the spill files' first column), and `JSON.parse` of it
 * is the key (as `--output` writes it).
 * @param names the key attribute names; @default the key's own names
 * @example canonicalKeyId({ sk: { N: '1.50' }, pk: { S: 'a' } }) // '{"pk":{"S":"a"},"sk":{"N":"1.5"}}'
 */
export const canonicalKeyId = (key: AnyItem, names: readonly string[] = Object.keys(key)): string => {
  const shape = names.join('\u0000');
  let sorted = keyShapes.get(shape);
  if (sorted === undefined) {
    sorted = [...names].sort().map((name) => [name, quote(name)] as const);
    if (keyShapes.size >= SHAPE_CACHE_LIMIT) keyShapes.clear();
    keyShapes.set(shape, sorted);
  }
  const values = key as Record<string, AnyAttributeValue>;
  let text = '{';
  for (let i = 0; i < sorted.length; i += 1) {
    const [name, quoted] = sorted[i]!;
    const value = values[name];
    text += `${i === 0 ? '' : ','}${quoted}:${value === undefined ? 'null' : canonicalValue(value)}`;
  }
  return `${text}}`;
};

const isTrue = (value: AnyAttributeValue | undefined): boolean =>
  value !== undefined && 'BOOL' in value && value.BOOL;

/** True when an item (in either form) is a delete marker. */
export const isDeleteMarker = (item: AnyItem, names: MetadataNames): boolean =>
  isTrue((item as Record<string, AnyAttributeValue>)[names.deleted]);

/**
 * The shape of an encoded dynasync version (`conflict/version.ts`), checked without decoding it;
 * a test holds it to `tryDecodeVersion`.
 */
export const VERSION_TEXT = /^\d{15}\.\d{6}\.[a-z0-9][a-z0-9-]{0,62}(?:~\d{40})?$/;

/**
 * The version text of an item: the `<prefix>v` text when it is a dynasync version, `invalid:<hash>`
 * when the attribute holds something else (still detects a change), `''` without one.
 */
export const versionOf = (item: AnyItem | undefined, names: MetadataNames): string => {
  const value = (item as Record<string, AnyAttributeValue> | undefined)?.[names.version];
  if (value === undefined) return '';
  if ('S' in value && VERSION_TEXT.test(value.S)) return value.S;
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
