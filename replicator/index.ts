export { buildPutInput } from './buildPutInput.js';
export type { ErrorClass } from './classifyError.js';
export { backoffDelay, classifyError, ErrorClasses } from './classifyError.js';
export type { Classification, ClassifyContext } from './classifyRecord.js';
export { classifyRecord, isTombstone, stampedItem, tombstoneItem } from './classifyRecord.js';
export type { ClientOptions } from './clients.js';
export { clientConfigFor, createDynamoClients, createStreamsClient } from './clients.js';
export type { PipelinesSetup } from './createPipelines.js';
export { assertPipelinesResolved, createPipelines } from './createPipelines.js';
export type { Replicator, ReplicatorSetup } from './createReplicator.js';
export { createReplicator, deadLetterPath } from './createReplicator.js';
export { FileDeadLetterSink } from './deadLetter/FileDeadLetterSink.js';
export { letterProtector, redactedRecord } from './deadLetter/protectLetter.js';
export type { DeadLetter, DeadLetterSink } from './deadLetter/types.js';
export { decodeRecord, describeRecord } from './decodeRecord.js';
export { createHandler, handler, REGION_ENV } from './handler.js';
export type { ConflictAuditEntry, ConflictAuditSink, ConflictOutcome } from './merge/conflictAudit.js';
export {
  ConflictOutcomes,
  conflictAuditEntry,
  FileConflictAuditSink,
} from './merge/conflictAudit.js';
export type { MergeWriterSetup } from './merge/createMergeWriter.js';
export { createMergeWriter } from './merge/createMergeWriter.js';
export { loadMergeModule } from './merge/loadMergeModule.js';
export type { MergePeerWriterOptions, MergeWriteResult } from './merge/MergePeerWriter.js';
export { buildMergePutInput, MergePeerWriter } from './merge/MergePeerWriter.js';
export type { PeerTarget, PeerWriterOptions } from './PeerWriter.js';
export { PeerWriter } from './PeerWriter.js';
export { pipeChange } from './pipeChange.js';
export type { PlanContext } from './planBatch.js';
export { planBatch } from './planBatch.js';
export type { ProcessBatchDeps, ReplicatorLogger } from './processBatch.js';
export { processBatch } from './processBatch.js';
export type { ReplicatorTracing, TraceSpan } from './tracing.js';
export { powertoolsTracing } from './tracing.js';
export type {
  BatchCounts,
  BatchResponse,
  BatchResult,
  Change,
  DecodedRecord,
  EventName,
  PlannedWrite,
  Rejection,
  SkipReason,
  StreamEvent,
  StreamRecord,
  WriteOutcome,
  WritePlan,
  WriteResult,
} from './types.js';
export { EventNames, SkipReasons, WriteOutcomes } from './types.js';
