import { compareObservations } from '../compareObservations.js';
import { ItemStates, type Observation } from '../types.js';
import { parseSpillLine } from './spillLine.js';

/** What a side holds when the scan saw no item for the key. */
export const ABSENT: Observation = { state: ItemStates.absent, digest: '', version: '' };

/**
 * The candidate line (one JSON line of a candidates file, see `Candidate` in settleCandidates.ts)
 * of a key whose two spill lines differ (either may be missing), or `undefined` when the difference
 * is not one (e.g. one-way: versions differ, content does not). The compare phase of the local verify
 * and of a scale-out segment or partition task both write these.
 */
export const candidateLineOf = (
  sourceLine: string | undefined,
  targetLine: string | undefined,
): string | undefined => {
  const source = sourceLine === undefined ? undefined : parseSpillLine(sourceLine);
  const target = targetLine === undefined ? undefined : parseSpillLine(targetLine);
  const s = source?.observation ?? ABSENT;
  const t = target?.observation ?? ABSENT;
  const kind = compareObservations(s, t);
  if (kind === undefined) return undefined;
  const entry = (source ?? target)!;
  const sourceKey = source === undefined ? null : source.sourceKey === '-' ? source.keyId : source.sourceKey;
  return `{"k":${JSON.stringify(entry.keyId)},"tk":${entry.keyId},"sk":${sourceKey ?? 'null'},"was":"${kind}","scanned":${JSON.stringify({ source: s, target: t })}}`;
};
