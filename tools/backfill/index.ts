export type { BackfillOptions } from './backfill.js';
export {
  backfill,
  defaultCheckpointPath,
  PAGES_IN_FLIGHT,
  validateBackfillOptions,
} from './backfill.js';
export type { BackfillCheckpoint, SegmentCheckpoint } from './CheckpointFile.js';
export { CheckpointFile } from './CheckpointFile.js';
export type { BackfillCommandIo, BackfillCommandOptions } from './command.js';
export { addBackfillCommand, BackfillExitCodes, backfillExitCodeOf, runBackfillCommand } from './command.js';
export type { BackfillErrorCode } from './errors.js';
export { BackfillErrorCodes, backfillError } from './errors.js';
export { formatBackfillReport } from './formatReport.js';
export type { BackfillPagePlan, BackfillPlanContext, BackfillWrite } from './planBackfill.js';
export { BACKFILL_VERSION_MS, planBackfillPage, TOMBSTONE_NOT_TRANSFORMED } from './planBackfill.js';
export type { BackfillProgress, BackfillReport, PathReason, WritePath } from './types.js';
export { PathReasons, WritePaths } from './types.js';
