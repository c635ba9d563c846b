import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { AttributeValue, Item } from '../../core/types.js';
import { encodeClock as encodeClockText, tryDecodeClock, type VectorClock } from '../vectorClock.js';
import type { MergeNames } from './types.js';

/** The dynasync merge metadata of an item, decoded. */
export interface MergeMetadata {
  readonly clock: VectorClock;
  readonly version: string | undefined;
  readonly attributeVersions: Readonly<Record<string, string>>;
  readonly counters: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly setDots: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

const invalid = (path: string, what: string): DynasyncError =>
  new DynasyncError(
    ErrorCodes.conflict.invalidVersion,
    `${path}: ${what}; only the client helper and the replicator may write it`,
    {
      payload: { path },
    },
  );

const mapOf = (value: AttributeValue | undefined, path: string): Item => {
  if (value === undefined) return {};
  if (!('M' in value)) throw invalid(path, 'not a map');
  return value.M;
};

/**
 * Reads an item's merge metadata. An item without any (written before `merge` was turned on) has an
 * empty clock and no per-attribute state.
 * @throws DynasyncError `conflict.invalidVersion` naming the attribute that is malformed.
 */
export const readMergeMetadata = (item: Item, names: MergeNames): MergeMetadata => {
  const clockValue = item[names.clock];
  let clock: VectorClock = {};
  if (clockValue !== undefined) {
    const decoded = 'S' in clockValue ? tryDecodeClock(clockValue.S) : undefined;
    if (decoded === undefined) throw invalid(names.clock, 'not a vector clock');
    clock = decoded;
  }
  const versionValue = item[names.version];
  const version = versionValue !== undefined && 'S' in versionValue ? versionValue.S : undefined;
  const attributeVersions: Record<string, string> = {};
  for (const [name, value] of Object.entries(mapOf(item[names.attributeVersions], names.attributeVersions))) {
    if (!('S' in value)) throw invalid(`${names.attributeVersions}.${name}`, 'not a version');
    attributeVersions[name] = value.S;
  }
  const counters: Record<string, Record<string, string>> = {};
  for (const [name, value] of Object.entries(mapOf(item[names.counters], names.counters))) {
    const perRegion: Record<string, string> = {};
    for (const [region, n] of Object.entries(mapOf(value, `${names.counters}.${name}`))) {
      if (!('N' in n)) throw invalid(`${names.counters}.${name}.${region}`, 'not a number');
      perRegion[region] = n.N;
    }
    counters[name] = perRegion;
  }
  const setDots: Record<string, Record<string, readonly string[]>> = {};
  for (const [name, value] of Object.entries(mapOf(item[names.setDots], names.setDots))) {
    const perElement: Record<string, readonly string[]> = {};
    for (const [element, dots] of Object.entries(mapOf(value, `${names.setDots}.${name}`))) {
      if (!('SS' in dots)) throw invalid(`${names.setDots}.${name}`, 'not a string set of dots');
      perElement[element] = [...dots.SS].sort();
    }
    setDots[name] = perElement;
  }
  return { clock, version, attributeVersions, counters, setDots };
};

/** True when an attribute name is dynasync metadata (starts with the prefix). */
export const isMetadataName = (name: string, names: MergeNames): boolean =>
  name === names.version ||
  name === names.replicated ||
  name === names.deleted ||
  name === names.expires ||
  name === names.clock ||
  name === names.attributeVersions ||
  name === names.counters ||
  name === names.setDots;

/** The item without dynasync metadata. */
export const userAttributes = (item: Item, names: MergeNames): Item =>
  Object.fromEntries(Object.entries(item).filter(([name]) => !isMetadataName(name, names)));

/** Writes merge metadata into an item (empty maps are left out: DynamoDB stores them, but they carry nothing). */
export const withMergeMetadata = (item: Item, metadata: MergeMetadata, names: MergeNames): Item => {
  const out: Record<string, AttributeValue> = { ...item };
  out[names.clock] = { S: encodeClockText(metadata.clock) };
  if (metadata.version !== undefined) out[names.version] = { S: metadata.version };
  const sortedEntries = <T>(record: Readonly<Record<string, T>>): Array<[string, T]> =>
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const versions = sortedEntries(metadata.attributeVersions);
  if (versions.length > 0)
    out[names.attributeVersions] = { M: Object.fromEntries(versions.map(([n, v]) => [n, { S: v }])) };
  const counters = sortedEntries(metadata.counters).filter(
    ([, perRegion]) => Object.keys(perRegion).length > 0,
  );
  if (counters.length > 0)
    out[names.counters] = {
      M: Object.fromEntries(
        counters.map(([name, perRegion]) => [
          name,
          { M: Object.fromEntries(sortedEntries(perRegion).map(([region, n]) => [region, { N: n }])) },
        ]),
      ),
    };
  const sets = sortedEntries(metadata.setDots).filter(([, perElement]) => Object.keys(perElement).length > 0);
  if (sets.length > 0)
    out[names.setDots] = {
      M: Object.fromEntries(
        sets.map(([name, perElement]) => [
          name,
          {
            M: Object.fromEntries(
              sortedEntries(perElement).map(([element, dots]) => [element, { SS: [...dots].sort() }]),
            ),
          },
        ]),
      ),
    };
  return out;
};
