import { compareObservations } from '../../verify/compareObservations.js';
import type { Candidate } from '../../verify/settleCandidates.js';

/**
 * Merges the candidates of every segment (or partition) by target key. Tables with the same key
 * schema put a key in the same segment, so a key is almost always a candidate of one segment only;
 * when it is not (a key the two scans placed in different segments), one segment saw it at the
 * source only and the other at the target only. Merged, the pair is the key's true scanned state:
 * the source observation from one, the target's from the other, compared again; a pair that agrees
 * is no candidate at all, so such a key can never be reported as drift.
 *
 * ```
 * segment 2: k  source L/d1  target absent ─┐
 * segment 5: k  source absent target L/d1  ─┴─► k  source L/d1  target L/d1 ─► equal: dropped
 * ```
 * @returns the merged candidate lines, in key order.
 */
export const mergeCandidates = (lines: Iterable<string>): string[] => {
  const byKey = new Map<string, Omit<Candidate, 'previous'>>();
  for (const line of lines) {
    const candidate = JSON.parse(line) as Omit<Candidate, 'previous'>;
    const seen = byKey.get(candidate.k);
    if (seen === undefined) {
      byKey.set(candidate.k, candidate);
      continue;
    }
    const source = seen.scanned.source.state === 'absent' ? candidate.scanned.source : seen.scanned.source;
    const target = seen.scanned.target.state === 'absent' ? candidate.scanned.target : seen.scanned.target;
    byKey.set(candidate.k, {
      ...seen,
      sk: seen.sk ?? candidate.sk,
      scanned: { source, target },
    });
  }
  const merged: string[] = [];
  for (const key of [...byKey.keys()].sort()) {
    const candidate = byKey.get(key);
    if (candidate === undefined) continue;
    const was = compareObservations(candidate.scanned.source, candidate.scanned.target);
    if (was === undefined) continue;
    merged.push(JSON.stringify({ ...candidate, was }));
  }
  return merged;
};
