import { DynasyncError, ErrorCodes } from '../core/errors.js';

/** Width of the physical-time field: milliseconds since the epoch, zero-padded (good past the year 30000). */
export const PHYSICAL_WIDTH = 15;
/** Width of the logical counter field. */
export const LOGICAL_WIDTH = 6;
/** Width of the stream sequence-number field of a derived version (DynamoDB sequence numbers have 21-40 digits). */
export const SEQUENCE_WIDTH = 40;
/** Largest logical counter; the clock moves its physical part on by 1 ms rather than overflow. */
export const MAX_LOGICAL = 10 ** LOGICAL_WIDTH - 1;

/**
 * A hybrid-logical-clock version: physical milliseconds, a logical counter for events within the
 * same millisecond, and the origin region as the final tie-break. `sequence` is set only on versions
 * the replicator derives for unstamped writes (one-way topology): the stream sequence number
 * orders several such writes that fall in the same millisecond.
 */
export interface Version {
  readonly physicalMs: number;
  readonly logical: number;
  readonly origin: string;
  readonly sequence?: string;
}

const ORIGIN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ENCODED = /^(\d{15})\.(\d{6})\.([a-z0-9][a-z0-9-]{0,62})(?:~(\d{40}))?$/;

/**
 * Encodes a version as fixed-width text whose byte order is the version order, so one DynamoDB
 * condition (`#v < :v`) compares versions: an LWW write costs one conditional write and no read.
 *
 * ```
 * 001732320000123.000002.eu-west-1
 * └─ physical ms ─┘└logical┘└origin┘   (+ "~<40-digit sequence>" when derived from a stream record)
 * ```
 */
export const encodeVersion = (version: Version): string => {
  if (
    !Number.isSafeInteger(version.physicalMs) ||
    version.physicalMs < 0 ||
    version.physicalMs >= 10 ** PHYSICAL_WIDTH
  ) {
    throw new DynasyncError(
      ErrorCodes.conflict.invalidVersion,
      `physical time ${version.physicalMs} is not a millisecond timestamp`,
    );
  }
  if (!Number.isInteger(version.logical) || version.logical < 0 || version.logical > MAX_LOGICAL) {
    throw new DynasyncError(
      ErrorCodes.conflict.invalidVersion,
      `logical counter ${version.logical} is outside 0..${MAX_LOGICAL}`,
    );
  }
  if (!ORIGIN.test(version.origin)) {
    throw new DynasyncError(
      ErrorCodes.conflict.invalidVersion,
      `origin "${version.origin}" is not a region name`,
    );
  }
  const base = `${String(version.physicalMs).padStart(PHYSICAL_WIDTH, '0')}.${String(version.logical).padStart(LOGICAL_WIDTH, '0')}.${version.origin}`;
  if (version.sequence === undefined) return base;
  if (!/^\d{1,40}$/.test(version.sequence)) {
    throw new DynasyncError(
      ErrorCodes.conflict.invalidVersion,
      `sequence "${version.sequence}" is not a stream sequence number`,
    );
  }
  return `${base}~${version.sequence.padStart(SEQUENCE_WIDTH, '0')}`;
};

/** Decodes a version written by {@link encodeVersion}; `undefined` when the text is not one. */
export const tryDecodeVersion = (text: string): Version | undefined => {
  const match = ENCODED.exec(text);
  if (match === null) return undefined;
  const [, physical, logical, origin, sequence] = match;
  const version: Version = { physicalMs: Number(physical), logical: Number(logical), origin: origin! };
  return sequence === undefined ? version : { ...version, sequence: sequence.replace(/^0+(?=\d)/, '') };
};

/**
 * Decodes a version.
 * @throws DynasyncError `conflict.invalidVersion` naming the text's shape.
 */
export const decodeVersion = (text: string): Version => {
  const version = tryDecodeVersion(text);
  if (version === undefined) {
    throw new DynasyncError(
      ErrorCodes.conflict.invalidVersion,
      `"${text}" is not a dynasync version (expected 15 digits.6 digits.region)`,
    );
  }
  return version;
};

const tieBreak = (version: Version): string =>
  version.sequence === undefined
    ? version.origin
    : `${version.origin}~${version.sequence.padStart(SEQUENCE_WIDTH, '0')}`;

/**
 * Total order of versions: physical time, then logical counter, then origin (and sequence).
 * Agrees with the byte order of {@link encodeVersion}'s text, which is what DynamoDB compares.
 * @returns negative when `a` is older, 0 when equal, positive when `a` is newer.
 */
export const compareVersions = (a: Version, b: Version): number => {
  if (a.physicalMs !== b.physicalMs) return a.physicalMs < b.physicalMs ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  const left = tieBreak(a);
  const right = tieBreak(b);
  return left === right ? 0 : left < right ? -1 : 1;
};

/**
 * The version of a change in a one-way topology, taken from its place in the source's stream.
 * One region writes, so the stream's order *is* the truth: stream time first, then the stream
 * sequence number, which orders changes within the same stream-time tick (Lambda reports whole
 * seconds). Stamps in the item are ignored there, so client-helper writes and raw writes mix
 * safely. Deterministic: a redelivered record gets the same version.
 *
 * ```
 * stream  #101 t=12:00:00  #102 t=12:00:00  #108 t=12:00:01
 * version 12:00:00.000000.eu~…101  <  12:00:00.000000.eu~…102  <  12:00:01.000000.eu~…108
 * ```
 */
export const streamVersion = (streamTimeMs: number, origin: string, sequence: string): Version => ({
  physicalMs: streamTimeMs,
  logical: 0,
  origin,
  sequence,
});
