import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { Item } from '../../core/types.js';
import { joinClocks } from '../vectorClock.js';
import { compareText } from './_internals/derive.js';
import { readMergeMetadata, userAttributes, withMergeMetadata } from './itemState.js';
import type { MergeFunction, MergeNames } from './types.js';

/**
 * Merges two concurrent item states with a user merge: the user function sees the items without
 * metadata (keys included) and both clocks; the result gets the joined clock, the larger version and
 * the delete marker of the newer side when the user's result has no attributes besides the keys.
 * @throws DynasyncError `conflict.mergeFailed` when the user merge throws or returns no item.
 */
export const mergeWithUserFunction = (
  local: Item,
  remote: Item,
  merge: MergeFunction,
  names: MergeNames,
  context: { readonly keys: Item; readonly region: string },
): Item => {
  const l = readMergeMetadata(local, names);
  const r = readMergeMetadata(remote, names);
  let merged: Item;
  try {
    merged = merge(userAttributes(local, names), userAttributes(remote, names), {
      keys: context.keys,
      localClock: l.clock,
      remoteClock: r.clock,
      localVersion: l.version ?? '',
      remoteVersion: r.version ?? '',
      region: context.region,
    });
  } catch (cause) {
    throw new DynasyncError(
      ErrorCodes.conflict.mergeFailed,
      'the merge module threw; both versions go to the dead-letter sink',
      {
        cause,
      },
    );
  }
  if (typeof merged !== 'object' || merged === null || Array.isArray(merged))
    throw new DynasyncError(
      ErrorCodes.conflict.mergeFailed,
      'the merge module returned no item (expected an AttributeValue map)',
    );
  const newer = compareText(l.version, r.version) >= 0 ? local : remote;
  const out: Record<string, Item[string]> = { ...merged, ...context.keys };
  const deleted = newer[names.deleted];
  const expires = newer[names.expires];
  if (deleted !== undefined && Object.keys(merged).every((name) => context.keys[name] !== undefined)) {
    out[names.deleted] = deleted;
    if (expires !== undefined) out[names.expires] = expires;
  }
  return withMergeMetadata(
    out,
    {
      clock: joinClocks(l.clock, r.clock),
      version: compareText(l.version, r.version) >= 0 ? l.version : r.version,
      attributeVersions: {},
      counters: {},
      setDots: {},
    },
    names,
  );
};
