import type { MetadataNames } from '../core/config/topology.js';
import { keyIdOf } from '../core/keyId.js';
import type { Item } from '../core/types.js';
import { deriveChange } from '../pipeline/deriveChange.js';
import type { Pipeline, PipelineContext } from '../pipeline/types.js';
import { type ClassifyContext, isTombstone, stampedItem, tombstoneItem } from './classifyRecord.js';
import type { Change, DecodedRecord } from './types.js';

const contextOf = (change: Change, region: string, peer: string): PipelineContext => ({
  eventName: change.record.eventName,
  sourceRegion: region,
  targetRegion: peer,
});

/** The image a change leaves behind, or `undefined` for a delete (a REMOVE or a tombstone). */
const liveImage = (image: Item | undefined, names: MetadataNames): Item | undefined =>
  image === undefined || isTombstone(image, names) ? undefined : image;

/**
 * The record without its SizeBytes, which says nothing about a masked or mapped item (PeerWriter
 * measures those). Fields are named, not rest-copied (several times faster); `satisfies` fails the
 * build when `DecodedRecord` gains a field this copy would lose.
 */
const withoutSize = (source: DecodedRecord): DecodedRecord => {
  const { index, sequenceNumber, eventName, keys, keyId, newImage, oldImage, createdAtMs, byTtl } = source;
  return {
    index,
    sequenceNumber,
    eventName,
    keys,
    keyId,
    newImage,
    oldImage,
    createdAtMs,
    byTtl,
  } satisfies Required<Omit<DecodedRecord, 'sizeBytes'>>;
};

/**
 * The writes one coalesced key needs at a peer with a pipeline: `deriveChange` on the newest change
 * (puts of its new image, deletes of what its old image derived), plus deletes of whatever the
 * superseded changes of the same key derived, since those writes were coalesced away. Every write
 * carries the newest change's version, so the conditional write still never goes backwards, and
 * derived deletes are tombstones like any other.
 *
 * ```
 * batch: #0 k1 old=a new=b   #2 k1 old=b new=c        (map: a→X, b→Y, c→Z)
 * peer:  put Z @v2, tombstone X @v2, tombstone Y @v2
 * ```
 * @throws DynasyncError `pipeline.*` for this record and peer.
 */
export const pipeChange = (
  changes: readonly Change[],
  newest: Change,
  pipeline: Pipeline,
  peer: string,
  context: ClassifyContext,
): Change[] => {
  const { names } = context;
  const newImage = newest.tombstone ? undefined : liveImage(newest.record.newImage, names);
  let oldImage = liveImage(newest.record.oldImage, names);
  if (newImage === undefined && oldImage === undefined && changes.length === 1) oldImage = newest.keys;
  const derived = deriveChange(pipeline, oldImage, newImage, contextOf(newest, context.region, peer));
  const puts = derived.puts.map((put) => ({ put, keys: pipeline.keyOf(put) }));
  const deletes = [...derived.deletes];
  // Superseded changes of the key (rare: most keys change once per batch) delete what they derived.
  if (changes.length > 1) {
    const taken = new Set([...puts.map(({ keys }) => keyIdOf(keys)), ...deletes.map(keyIdOf)]);
    for (const change of changes) {
      if (change === newest) continue;
      const images = [
        liveImage(change.record.oldImage, names),
        change.tombstone ? undefined : liveImage(change.record.newImage, names),
      ];
      for (const image of images) {
        if (image === undefined) continue;
        for (const output of pipeline.apply(image, contextOf(change, context.region, peer))) {
          const key = pipeline.keyOf(output);
          const id = keyIdOf(key);
          if (taken.has(id)) continue;
          taken.add(id);
          deletes.push(key);
        }
      }
    }
  }
  const record = withoutSize(newest.record);
  const make = (keys: Item, item: Item, tombstone: boolean): Change => ({
    record,
    keyId: keyIdOf(keys),
    keys,
    version: newest.version,
    versionText: newest.versionText,
    item,
    tombstone,
    derived: newest.derived,
  });
  return [
    // The source's metadata on a put is overwritten by the stamp (a live image has no delete marker).
    ...puts.map(({ put, keys }) => make(keys, stampedItem(put, newest.versionText, names), false)),
    ...deletes.map((key) => make(key, tombstoneItem(key, newest.version, newest.versionText, context), true)),
  ];
};
