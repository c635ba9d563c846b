export { HybridLogicalClock } from '../conflict/HybridLogicalClock.js';
export { ACCEPTED_PROTOCOL_VERSIONS, PROTOCOL_VERSION } from '../conflict/protocol.js';
export type { DynasyncClientOptions } from './DynasyncClient.js';
export { DynasyncClient } from './DynasyncClient.js';
export type { DynasyncMergeClientOptions, MergeUpdateInput } from './DynasyncMergeClient.js';
export { DynasyncMergeClient } from './DynasyncMergeClient.js';
export { stampPut, stampUpdate, tombstonePut } from './stampParams.js';
