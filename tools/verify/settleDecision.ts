import { compareVersions, tryDecodeVersion } from '../../conflict/version.js';
import { compareObservations } from './compareObservations.js';
import { type DriftKind, ItemStates, type Observation } from './types.js';

/** Observations of one key on both sides. */
export interface ObservationPair {
  readonly source: Observation;
  readonly target: Observation;
}

/** What {@link settleDecision} needs to know about one candidate. */
export interface SettleInput {
  /** What the scans saw. */
  readonly scanned: ObservationPair;
  /** The observation before this one (the scan's, for the first re-read). */
  readonly previous: ObservationPair;
  /** This consistent re-read, made at least `--settle` seconds after `previous`. */
  readonly current: ObservationPair;
  /** 1 for the first re-read. */
  readonly round: number;
  /** Re-reads allowed before a key that keeps changing is judged as it stands. */
  readonly maxRounds: number;
  /** Whether versions are comparable across the sides (active-active). */
  readonly compareVersions: boolean;
}

/** The verdict on one candidate after a re-read. */
export type SettleDecision =
  | { readonly type: 'settled' }
  | { readonly type: 'recheck' }
  | { readonly type: 'drift'; readonly kind: DriftKind };

const moved = (later: Observation, earlier: Observation): boolean =>
  later.state !== earlier.state || later.digest !== earlier.digest || later.version !== earlier.version;

const newer = (later: string, earlier: string): boolean => {
  const a = tryDecodeVersion(later);
  const b = tryDecodeVersion(earlier);
  return a !== undefined && b !== undefined && compareVersions(a, b) > 0;
};

/** One-way: the replica holds a valid version newer than the one seen before (or had none then). */
const delivered = (later: string, earlier: string): boolean =>
  tryDecodeVersion(later) !== undefined && (tryDecodeVersion(earlier) === undefined || newer(later, earlier));

/**
 * True when `later` holds the state `earlier` saw, or (versions compared) a newer version of the key:
 * the change seen by the scan has arrived.
 */
export const reached = (later: Observation, earlier: Observation, versioned: boolean): boolean => {
  const laterLive = later.state === ItemStates.live;
  if (earlier.state !== ItemStates.live ? !laterLive : laterLive && later.digest === earlier.digest)
    return true;
  return versioned && newer(later.version, earlier.version);
};

/**
 * Decides whether a difference seen by the scan is drift or a change that was in flight. A scan
 * reads the two tables at different moments, so a key written during the scan may look different
 * although replication is doing its job. Each candidate is re-read consistently on both sides after
 * the grace period (`--settle`), then:
 *
 * 1. both sides agree → `settled`;
 * 2. the target was behind the source's scanned state and now holds it (or, active-active, a newer
 *    version) → `settled`: the change seen by the scan arrived, what differs now is newer;
 * 3. the same the other way (active-active: a change made in the target region flowing to the source;
 *    or the scan read the source just before a change and the target just after) → `settled`;
 *    one-way: the replica moved to a newer version since the scan → `settled` (its versions come from
 *    the source's stream: replication delivered a later, whole item of the key);
 * 4. something moved since the previous read and rounds remain → `recheck` after another grace period;
 * 5. otherwise → drift, classified by the current state: nothing moved for a whole grace period and
 *    the sides still disagree, or a key kept changing for every round without the target catching up.
 *
 * ```
 * source  ──v5────────────v6──────────────          scan: source v5, target v4 → candidate
 * target  ──v4──v5 (lag)───────v6─────────          re-read after settle: source v6, target v5
 *            ▲ scan          ▲ re-read              target moved and holds v5 ≥ scanned v5 → settled
 * ```
 */
export const settleDecision = (input: SettleInput): SettleDecision => {
  const { scanned, previous, current, compareVersions: versioned } = input;
  const kind = compareObservations(current.source, current.target);
  if (kind === undefined) return { type: 'settled' };
  // Source → target: the target was behind the scanned source state and has it now.
  if (
    !reached(scanned.target, scanned.source, versioned) &&
    reached(current.target, scanned.source, versioned)
  )
    return { type: 'settled' };
  // Target → source (active-active, or a scan that read the source just before a change): the same the other way.
  if (
    !reached(scanned.source, scanned.target, versioned) &&
    reached(current.source, scanned.target, versioned)
  )
    return { type: 'settled' };
  // One-way: the replica's versions come from the source's stream, so they order the replica's own
  // states. A newer one since the scan means replication delivered a later whole item of this key.
  if (!versioned && delivered(current.target.version, scanned.target.version)) return { type: 'settled' };
  const moving = moved(current.source, previous.source) || moved(current.target, previous.target);
  if (moving && input.round < input.maxRounds) return { type: 'recheck' };
  return { type: 'drift', kind };
};
