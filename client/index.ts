export { HybridLogicalClock } from '../conflict/HybridLogicalClock.js';
// Types the clients' signatures name, owned by the other entry points.
export type { MergeNames, MergeSpec } from '../conflict/merge/types.js';
export { ACCEPTED_PROTOCOL_VERSIONS, PROTOCOL_VERSION } from '../conflict/protocol.js';
export type { Version } from '../conflict/version.js';
export type { MetadataNames } from '../core/config/topology.js';
export type { AttributeValue, Item } from '../core/types.js';
export type { DynasyncClientOptions } from './DynasyncClient.js';
export { DynasyncClient } from './DynasyncClient.js';
export type { DynasyncMergeClientOptions, MergeUpdateInput } from './DynasyncMergeClient.js';
export { DynasyncMergeClient } from './DynasyncMergeClient.js';
export { stampPut, stampUpdate, tombstonePut } from './stampParams.js';
