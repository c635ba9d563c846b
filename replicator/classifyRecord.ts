import { PROTOCOL_DOC, PROTOCOL_VERSION } from '../conflict/protocol.js';
import {
  compareVersions,
  encodeVersion,
  streamVersion,
  tryDecodeVersion,
  type Version,
} from '../conflict/version.js';
import type { MetadataNames } from '../core/config/topology.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import type { AttributeValue, Item } from '../core/types.js';
import { type Change, type DecodedRecord, EventNames, type SkipReason, SkipReasons } from './types.js';

/** What the classifier needs to know about the deployment. */
export interface ClassifyContext {
  /** The region whose stream the record comes from. */
  readonly region: string;
  /** `one-way` accepts unstamped writes (versions derived from the stream); `active-active` rejects them. */
  readonly topology: 'one-way' | 'active-active';
  readonly names: MetadataNames;
  /** How long delete markers live, seconds. */
  readonly tombstoneRetentionSeconds: number;
  /**
   * The vector-clock attribute of the merge strategy (`<prefix>vc`). When set, an echo is a replicated
   * write whose *clock* moved: a merge can keep the stored version (the larger one) but always moves the clock.
   * @default undefined: last-writer-wins, an echo is a replicated write whose version moved
   */
  readonly clockAttribute?: string;
  /**
   * How far ahead of {@link now} a stamped version may be (`replicator.maxClockSkewMs`). A later one is
   * rejected (`replicator.versionFromFuture`): accepted, it would win against every honest write for years.
   * @default 300000
   */
  readonly maxClockSkewMs?: number;
  /** The replicator's clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** Default of `replicator.maxClockSkewMs`: five minutes. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 300_000;

/** A record is a change to ship, a record to skip, or a record to reject (dead-letter). */
export type Classification =
  | { readonly type: 'change'; readonly change: Change }
  | { readonly type: 'skip'; readonly reason: SkipReason }
  | { readonly type: 'reject'; readonly error: DynasyncError };

const isTrue = (value: AttributeValue | undefined): boolean =>
  value !== undefined && 'BOOL' in value && value.BOOL;

/** True when an item is a delete marker. */
export const isTombstone = (item: Item, names: MetadataNames): boolean => isTrue(item[names.deleted]);

const versionIn = (
  item: Item | undefined,
  names: MetadataNames,
  where: string,
  record: DecodedRecord,
): Version | undefined => {
  const value = item?.[names.version];
  if (value === undefined) return undefined;
  const version = 'S' in value ? tryDecodeVersion(value.S) : undefined;
  if (version === undefined && where === 'NewImage') {
    throw new DynasyncError(
      ErrorCodes.replicator.malformedRecord,
      `record #${record.index} (sequence ${record.sequenceNumber}): ${where}.${names.version} is not a dynasync version; only the client helper and the replicator may write it`,
      {
        payload: {
          index: record.index,
          sequenceNumber: record.sequenceNumber,
          path: `${where}.${names.version}`,
        },
      },
    );
  }
  return version;
};

const change = (
  record: DecodedRecord,
  version: Version,
  versionText: string,
  item: Item,
  tombstone: boolean,
  derived: boolean,
): Change => ({
  record,
  keyId: record.keyId,
  keys: record.keys,
  version,
  versionText,
  item,
  tombstone,
  derived,
});

/** An image with the replicator's version and `<prefix>rep` set: what a peer receives. */
export const stampedItem = (image: Item, versionText: string, names: MetadataNames): Item => ({
  ...image,
  [names.version]: { S: versionText },
  [names.replicated]: { BOOL: true },
});

/** A delete marker for a key at a version, expiring after the retention. */
export const tombstoneItem = (
  keys: Item,
  version: Version,
  versionText: string,
  context: ClassifyContext,
): Item => ({
  ...keys,
  [context.names.version]: { S: versionText },
  [context.names.replicated]: { BOOL: true },
  [context.names.deleted]: { BOOL: true },
  [context.names.expires]: {
    N: String(Math.floor(version.physicalMs / 1000) + context.tombstoneRetentionSeconds),
  },
});

const clockText = (item: Item | undefined, name: string): string | undefined => {
  const value = item?.[name];
  return value !== undefined && 'S' in value ? value.S : undefined;
};

const clockMoved = (record: DecodedRecord, name: string): boolean => {
  const after = clockText(record.newImage, name);
  return after !== undefined && after !== clockText(record.oldImage, name);
};

const unstamped = (record: DecodedRecord, context: ClassifyContext, what: string): DynasyncError =>
  new DynasyncError(
    ErrorCodes.replicator.unstampedWrite,
    `record #${record.index} (sequence ${record.sequenceNumber}): ${what} without a new dynasync version in active-active region ${context.region}; ` +
      `every active-active write must be stamped as ${PROTOCOL_DOC} (stamping protocol v${PROTOCOL_VERSION}) specifies: ` +
      'write through a helper (TypeScript: dynasync/client; Python: clients/python), or implement the protocol from the spec ' +
      'and check it against its conformance vectors (protocol/vectors); or use a one-way topology',
    {
      payload: {
        index: record.index,
        sequenceNumber: record.sequenceNumber,
        region: context.region,
        eventName: record.eventName,
        protocol: PROTOCOL_DOC,
        protocolVersion: PROTOCOL_VERSION,
      },
    },
  );

/**
 * The error of a stamped version too far ahead of the replicator's clock; `undefined` when it is not.
 *
 * ```
 * now ─────────── now + maxClockSkewMs ─────────── version   → rejected: it would pin the key
 * now ── version ─ now + maxClockSkewMs                       → accepted (clocks drift a little)
 * ```
 */
export const futureVersionError = (
  record: DecodedRecord,
  version: Version,
  context: ClassifyContext,
): DynasyncError | undefined => {
  const nowMs = (context.now ?? Date.now)();
  const maxClockSkewMs = context.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  const aheadMs = version.physicalMs - nowMs;
  if (aheadMs <= maxClockSkewMs) return undefined;
  return new DynasyncError(
    ErrorCodes.replicator.versionFromFuture,
    `record #${record.index} (sequence ${record.sequenceNumber}): NewImage.${context.names.version} is ${aheadMs} ms ahead of this replicator's clock, ` +
      `more than replicator.maxClockSkewMs (${maxClockSkewMs}); a writer's clock runs fast or the version was not made by the client helper. ` +
      'Fix the clock, write the item again, then redrive or discard this record',
    {
      payload: {
        index: record.index,
        sequenceNumber: record.sequenceNumber,
        path: `NewImage.${context.names.version}`,
        aheadMs,
        maxClockSkewMs,
      },
    },
  );
};

/**
 * Decides what one stream record means for replication.
 *
 * - `REMOVE` by TTL: skipped (each region expires its own copy of a tombstone); removing a
 *   tombstone: skipped (nothing visible changed).
 * - **one-way**: the source is the only writer, so its stream order is the truth: every change
 *   is shipped with a version taken from its stream position (`streamVersion`), stamped by the
 *   client helper or not; a raw `DeleteItem` becomes a tombstone.
 * - **active-active**:
 *   - a write made by a replicator (`<prefix>rep` set *and* the version changed) is an echo and
 *     skipped, so nothing ping-pongs. An application write that leaves the metadata untouched
 *     keeps the old version, so it is never mistaken for an echo;
 *   - a stamped application write (version strictly newer than before) is shipped with its version,
 *     unless the version is more than `maxClockSkewMs` ahead of now (`replicator.versionFromFuture`);
 *   - an unstamped write (no version, the same or an older one; a raw `DeleteItem`) is rejected
 *     loudly (`replicator.unstampedWrite`): the local item would keep a version its peers do not
 *     share, and the regions could silently diverge.
 */
export const classifyRecord = (record: DecodedRecord, context: ClassifyContext): Classification => {
  const { names } = context;
  try {
    const oneWay = context.topology === 'one-way';
    if (record.eventName === EventNames.remove) {
      if (record.byTtl) return { type: 'skip', reason: SkipReasons.ttl };
      if (isTombstone(record.oldImage!, names)) return { type: 'skip', reason: SkipReasons.tombstonePurge };
      if (!oneWay) return { type: 'reject', error: unstamped(record, context, 'a DeleteItem') };
      const version = streamVersion(record.createdAtMs, context.region, record.sequenceNumber);
      const versionText = encodeVersion(version);
      const item = tombstoneItem(record.keys, version, versionText, context);
      return { type: 'change', change: change(record, version, versionText, item, true, true) };
    }
    const image = record.newImage!;
    if (oneWay) {
      const version = streamVersion(record.createdAtMs, context.region, record.sequenceNumber);
      const versionText = encodeVersion(version);
      const item = stampedItem(image, versionText, names);
      return {
        type: 'change',
        change: change(record, version, versionText, item, isTombstone(image, names), true),
      };
    }
    const newVersion = versionIn(image, names, 'NewImage', record);
    const oldVersion = versionIn(record.oldImage, names, 'OldImage', record);
    const moved =
      newVersion !== undefined && (oldVersion === undefined || compareVersions(newVersion, oldVersion) !== 0);
    if (isTrue(image[names.replicated]) && moved) return { type: 'skip', reason: SkipReasons.echo };
    if (
      context.clockAttribute !== undefined &&
      isTrue(image[names.replicated]) &&
      clockMoved(record, context.clockAttribute)
    )
      return { type: 'skip', reason: SkipReasons.echo };
    if (
      newVersion === undefined ||
      (oldVersion !== undefined && compareVersions(newVersion, oldVersion) <= 0)
    ) {
      const what = `an ${record.eventName === EventNames.insert ? 'insert' : 'update'}`;
      return { type: 'reject', error: unstamped(record, context, what) };
    }
    if (context.clockAttribute !== undefined && !clockMoved(record, context.clockAttribute)) {
      // Under merge, a write that leaves the vector clock as it was would look stale (or equal) to every peer.
      const what = 'a write that did not move the vector clock (not made through DynasyncMergeClient)';
      return { type: 'reject', error: unstamped(record, context, what) };
    }
    const fromFuture = futureVersionError(record, newVersion, context);
    if (fromFuture !== undefined) return { type: 'reject', error: fromFuture };
    const versionText = encodeVersion(newVersion);
    const item = stampedItem(image, versionText, names);
    return {
      type: 'change',
      change: change(record, newVersion, versionText, item, isTombstone(image, names), false),
    };
  } catch (error) {
    if (error instanceof DynasyncError) return { type: 'reject', error };
    throw error;
  }
};
