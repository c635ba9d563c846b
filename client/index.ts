export { HybridLogicalClock } from '../conflict/HybridLogicalClock.js';
export type { DynasyncClientOptions } from './DynasyncClient.js';
export { DynasyncClient } from './DynasyncClient.js';
export { stampPut, stampUpdate, tombstonePut } from './stampParams.js';
