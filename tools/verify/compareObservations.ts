import { DifferenceKinds, type DriftKind, ItemStates, type Observation } from './types.js';

/**
 * How the target's observation of a key differs from the source's (after the source transform);
 * `undefined` when they agree. Tombstones count as absent: a tombstone on one side and nothing on
 * the other agree, whatever their versions.
 *
 * | source \ target | absent / tombstone | live                          |
 * | --------------- | ------------------ | ----------------------------- |
 * | absent / tomb.  | agree              | `extra`                       |
 * | live            | `missing`          | `different` when digests differ |
 */
export const compareObservations = (source: Observation, target: Observation): DriftKind | undefined => {
  const sourceLive = source.state === ItemStates.live;
  const targetLive = target.state === ItemStates.live;
  if (sourceLive && !targetLive) return DifferenceKinds.missing;
  if (!sourceLive && targetLive) return DifferenceKinds.extra;
  if (sourceLive && targetLive && source.digest !== target.digest) return DifferenceKinds.different;
  return undefined;
};
