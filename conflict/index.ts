export { HybridLogicalClock } from './HybridLogicalClock.js';
export type { LwwDecision } from './lww.js';
export { LwwDecisions, resolveLww } from './lww.js';
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
