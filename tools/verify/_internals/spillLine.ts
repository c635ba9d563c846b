import { ItemStates, type Observation } from '../types.js';
import type { ScannedEntry } from './readScanPage.js';

/**
 * One scanned key as a spill line, tab-separated (no field holds a tab or newline: key ids are
 * JSON text, digests base64url, versions dynasync versions or `invalid:<hash>`):
 *
 * ```
 * keyId (the target key's canonical JSON) ⇥ L|T ⇥ digest ⇥ version ⇥ sourceKey (canonical JSON, or "-": the same key)
 * ```
 */
export interface SpilledEntry {
  readonly keyId: string;
  readonly observation: Observation;
  readonly sourceKey: string;
}

const STATE_CODES: Readonly<Record<string, Observation['state']>> = {
  L: ItemStates.live,
  T: ItemStates.tombstone,
};

/** Formats the spill line of a scanned item. */
export const formatEntryLine = (entry: ScannedEntry): string =>
  `${entry.keyId}\t${entry.tombstone ? 'T' : 'L'}\t${entry.digest}\t${entry.version}\t${entry.sourceKey}`;

/** Parses a spill line. */
export const parseSpillLine = (line: string): SpilledEntry => {
  const [keyId = '', state = '', digest = '', version = '', sourceKey = '-'] = line.split('\t');
  return { keyId, observation: { state: STATE_CODES[state]!, digest, version }, sourceKey };
};

/** The key id of a spill line (its first field), without parsing the rest. */
export const keyIdOfLine = (line: string): string => line.slice(0, line.indexOf('\t'));

/** True when two spill lines hold the same key id, state, digest and version: nothing to compare. */
export const sameObservation = (a: string, b: string): boolean => {
  // The first four fields: up to the fourth tab of each line.
  let end = -1;
  for (let field = 0; field < 4; field += 1) {
    end = a.indexOf('\t', end + 1);
    if (end === -1) return false;
  }
  return b.length > end && b.charCodeAt(end) === 9 && b.startsWith(a.slice(0, end));
};
