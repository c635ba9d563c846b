/**
 * `dynasync`: what an application or an operator uses. The replicator's Lambda handler and the
 * factories behind it, the client helpers that stamp writes, the one error type and its codes, and
 * the types these take and return. The pure cores and the CDK constructs are subpaths
 * (`dynasync/conflict`, `dynasync/pipeline`, `dynasync/core`, `dynasync/keys`, `dynasync/client`,
 * `dynasync/cdk`); the replicator's internals (batch planning, record classification, the peer
 * writers) are not exported. The reported surface of each entry point is kept in `etc/*.api.md`.
 * @example
 * import { createReplicator, isDynasyncError } from 'dynasync';
 * import { loadConfigFile } from 'dynasync/core';
 *
 * const replicator = createReplicator({ config: loadConfigFile('dynasync.json'), region: 'eu-west-1' });
 * try {
 *   await replicator.process(records, Date.now() + 10_000);
 * } catch (error) {
 *   if (isDynasyncError(error)) console.error(error.code);
 * }
 */

// The client helpers: writers that stamp versions so the replicator can order them.
export type { DynasyncClientOptions } from '../client/DynasyncClient.js';
export { DynasyncClient } from '../client/DynasyncClient.js';
export type { DynasyncMergeClientOptions, MergeUpdateInput } from '../client/DynasyncMergeClient.js';
export { DynasyncMergeClient } from '../client/DynasyncMergeClient.js';
export { stampPut, stampUpdate, tombstonePut } from '../client/stampParams.js';
export { HybridLogicalClock } from '../conflict/HybridLogicalClock.js';
// Types the setup above names, owned by the subpaths.
export type { MergeContext, MergeFunction, MergeNames, MergeSpec } from '../conflict/merge/types.js';
export type { Version } from '../conflict/version.js';
export type { MetadataNames } from '../core/config/topology.js';
export type { Config } from '../core/config/types.js';
// Errors and their stable codes.
export type {
  AreaErrorCode,
  ErrorArea,
  ErrorCode,
  ErrorCodePrefix,
  ErrorPayload,
  MatchedErrorCode,
} from '../core/errors.js';
export { DynasyncError, ErrorCodes, isDynasyncError } from '../core/errors.js';
export type { AttributeValue, Item, WireItem } from '../core/types.js';
export type { Pipeline, PipelineContext } from '../pipeline/types.js';
export type { SourceTable } from './checkSource.js';
export type { Replicator, ReplicatorSetup } from './createReplicator.js';
export { createReplicator } from './createReplicator.js';
export type { DeadLetter, DeadLetterSink } from './deadLetter/types.js';
// The handler and its factories.
export { createHandler, handler, REGION_ENV } from './handler.js';
export type { ReplicatorMetrics } from './metrics.js';
export type { ReplicatorLogger } from './processBatch.js';
// Tracing of each batch and peer write (X-Ray through Powertools in Lambda).
export type { ReplicatorTracing, TraceSpan } from './tracing.js';
export { powertoolsTracing } from './tracing.js';
// What a batch takes and returns.
export type {
  BatchCounts,
  BatchResponse,
  BatchResult,
  Change,
  DecodedRecord,
  EventName,
  PeerCounts,
  PlannedWrite,
  SkipReason,
  StreamEvent,
  StreamRecord,
  WriteOutcome,
  WriteResult,
} from './types.js';
export { EventNames, SkipReasons, WriteOutcomes } from './types.js';
