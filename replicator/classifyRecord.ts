import {
  compareVersions,
  deriveVersion,
  encodeVersion,
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
}

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
      ErrorCodes.recordMalformed,
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

const newer = (a: Version | undefined, b: Version | undefined): Version | undefined =>
  a === undefined ? b : b === undefined ? a : compareVersions(a, b) >= 0 ? a : b;

const stampedItem = (image: Item, versionText: string, names: MetadataNames): Item => ({
  ...image,
  [names.version]: { S: versionText },
  [names.replicated]: { BOOL: true },
});

const tombstoneItem = (
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

const unstamped = (record: DecodedRecord, context: ClassifyContext, what: string): DynasyncError =>
  new DynasyncError(
    ErrorCodes.recordUnstampedWrite,
    `record #${record.index} (sequence ${record.sequenceNumber}): ${what} without a new dynasync version in active-active region ${context.region}; ` +
      'write through the client helper (dynasync/client) so every write is stamped, or use a one-way topology',
    {
      payload: {
        index: record.index,
        sequenceNumber: record.sequenceNumber,
        region: context.region,
        eventName: record.eventName,
      },
    },
  );

/**
 * Decides what one stream record means for replication.
 *
 * - `REMOVE` by TTL: skipped (each region expires its own copy of a tombstone).
 * - A write made by a replicator (`<prefix>rep` set *and* the version changed): skipped as an echo,
 *   so nothing ping-pongs. An application write that leaves the metadata untouched keeps the old
 *   version, so it is never mistaken for an echo.
 * - A stamped application write (version strictly newer than before): shipped with its version.
 * - An unstamped write (no version, the same version, or an older one; a raw `DeleteItem`):
 *   one-way derives a version from the stream (see `deriveVersion`); active-active rejects it
 *   loudly (`replicator.unstampedWrite`), because the local item would keep a version its peers
 *   do not share and the regions could silently diverge.
 */
export const classifyRecord = (record: DecodedRecord, context: ClassifyContext): Classification => {
  const { names } = context;
  try {
    if (record.eventName === EventNames.remove) {
      if (record.byTtl) return { type: 'skip', reason: SkipReasons.ttl };
      const old = record.oldImage!;
      if (isTombstone(old, names)) return { type: 'skip', reason: SkipReasons.tombstonePurge };
      if (context.topology === 'active-active')
        return { type: 'reject', error: unstamped(record, context, 'a DeleteItem') };
      const version = deriveVersion(
        versionIn(old, names, 'OldImage', record),
        record.createdAtMs,
        context.region,
        record.sequenceNumber,
      );
      const versionText = encodeVersion(version);
      return {
        type: 'change',
        change: {
          record,
          keyId: record.keyId,
          keys: record.keys,
          version,
          versionText,
          item: tombstoneItem(record.keys, version, versionText, context),
          tombstone: true,
          derived: true,
        },
      };
    }
    const image = record.newImage!;
    const newVersion = versionIn(image, names, 'NewImage', record);
    const oldVersion = versionIn(record.oldImage, names, 'OldImage', record);
    const versionMoved =
      newVersion !== undefined && (oldVersion === undefined || compareVersions(newVersion, oldVersion) !== 0);
    if (isTrue(image[names.replicated]) && versionMoved) return { type: 'skip', reason: SkipReasons.echo };
    const stamped =
      newVersion !== undefined && (oldVersion === undefined || compareVersions(newVersion, oldVersion) > 0);
    let version: Version;
    if (stamped) {
      version = newVersion;
    } else if (context.topology === 'active-active') {
      return {
        type: 'reject',
        error: unstamped(
          record,
          context,
          `an ${record.eventName === EventNames.insert ? 'insert' : 'update'}`,
        ),
      };
    } else {
      version = deriveVersion(
        newer(newVersion, oldVersion),
        record.createdAtMs,
        context.region,
        record.sequenceNumber,
      );
    }
    const versionText = encodeVersion(version);
    return {
      type: 'change',
      change: {
        record,
        keyId: record.keyId,
        keys: record.keys,
        version,
        versionText,
        item: stampedItem(image, versionText, names),
        tombstone: isTombstone(image, names),
        derived: !stamped,
      },
    };
  } catch (error) {
    if (error instanceof DynasyncError) return { type: 'reject', error };
    throw error;
  }
};
