// Types the signatures above name, owned by dynasync/core.
export type { MetadataNames } from '../core/config/topology.js';
export type { AttributeValue, Item } from '../core/types.js';
export { HybridLogicalClock } from './HybridLogicalClock.js';
export type { LwwDecision } from './lww.js';
export { LwwDecisions, resolveLww } from './lww.js';
export type { MergeMetadata } from './merge/itemState.js';
export { isMetadataName, readMergeMetadata, userAttributes, withMergeMetadata } from './merge/itemState.js';
export { decideMerge, mergeItems, strategyOf } from './merge/mergeItems.js';
export type { MergeWrite, StampMergeContext } from './merge/stampMergeWrite.js';
export { stampMergeWrite } from './merge/stampMergeWrite.js';
export type {
  AttributeMerge,
  DefaultMerge,
  MergeContext,
  MergeDecision,
  MergeFunction,
  MergeNames,
  MergeSpec,
} from './merge/types.js';
export { AttributeMerges, DefaultMerges, MergeDecisions, mergeNamesFor } from './merge/types.js';
export { mergeWithUserFunction } from './merge/userMerge.js';
export { ACCEPTED_PROTOCOL_VERSIONS, PROTOCOL_DOC, PROTOCOL_VERSION } from './protocol.js';
export type { ClockOrder, VectorClock } from './vectorClock.js';
export {
  ClockOrders,
  clockCovers,
  compareClocks,
  decodeClock,
  encodeClock,
  incrementClock,
  joinClocks,
  normalizeClock,
  tryDecodeClock,
} from './vectorClock.js';
export type { Version } from './version.js';
export {
  compareVersions,
  decodeVersion,
  encodeVersion,
  LOGICAL_WIDTH,
  MAX_LOGICAL,
  PHYSICAL_WIDTH,
  SEQUENCE_WIDTH,
  streamVersion,
  tryDecodeVersion,
} from './version.js';
