export type { VerifyCommandIo, VerifyCommandOptions } from './command.js';
export { addVerifyCommand, exitCodeOf, runVerifyCommand, VerifyExitCodes } from './command.js';
export { compareObservations } from './compareObservations.js';
export type { AnyAttributeValue, AnyItem, ComparisonRules } from './digest.js';
export {
  canonicalDecimal,
  canonicalItem,
  canonicalKeyId,
  canonicalValue,
  comparableItem,
  comparisonRules,
  isDeleteMarker,
  itemDigest,
  observe,
  VERSION_TEXT,
  versionOf,
} from './digest.js';
export type { VerifyErrorCode } from './errors.js';
export { VerifyErrorCodes, verifyError } from './errors.js';
export { formatDifference, formatReport } from './formatReport.js';
export type { RepairContext, RepairPlan } from './planRepair.js';
export { buildRepairInput, derivedRepairVersion, planRepair, predictRepair } from './planRepair.js';
export { sendRepair } from './sendRepair.js';
export type { ObservationPair, SettleDecision, SettleInput } from './settleDecision.js';
export { reached, settleDecision } from './settleDecision.js';
export type {
  Difference,
  DifferenceKind,
  DriftKind,
  ItemState,
  Observation,
  RepairOutcome,
  RepairResult,
  RepairSkipCode,
  SourceTransform,
  VerifyProgress,
  VerifyReport,
} from './types.js';
export {
  DifferenceKinds,
  ItemStates,
  identityTransform,
  RepairOutcomes,
  RepairSkipCodes,
} from './types.js';
export type { VerifyOptions } from './verify.js';
export { validateVerifyOptions, verify } from './verify.js';
