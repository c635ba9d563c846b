export { collectRegion, countFileDeadLetters, readIteratorAge, type StatusClients } from './collectStatus.js';
export { addStatusCommand, parseFunctionNames, type StatusCommandOptions } from './command.js';
export { deriveRegionHealth, deriveReport } from './deriveHealth.js';
export { formatRegion, formatStatus } from './formatStatus.js';
export {
  checkStatus,
  type RunStatusIo,
  type RunStatusOptions,
  runStatus,
  StatusExitCodes,
  statusRegions,
} from './runStatus.js';
export type {
  DeadLetterReading,
  PeerHealth,
  RegionHealth,
  RegionReadings,
  StatusProblem,
  StatusReport,
  StatusThresholds,
} from './types.js';
export { StatusProblems } from './types.js';
