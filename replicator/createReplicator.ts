import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type MergeFunction, mergeNamesFor } from '../conflict/merge/types.js';
import { metadataNames, peersOf } from '../core/config/topology.js';
import type { Config } from '../core/config/types.js';
import { ErrorCodes } from '../core/errors.js';
import type { Pipeline } from '../pipeline/types.js';
import type { SourceTable } from './checkSource.js';
import { createDynamoClients } from './clients.js';
import { createPeerWrites } from './createPeerWrites.js';
import { assertPipelinesResolved } from './createPipelines.js';
import { createDeadLetterSink } from './deadLetter/createDeadLetterSink.js';
import { letterProtector } from './deadLetter/protectLetter.js';
import type { DeadLetterSink } from './deadLetter/types.js';
import type { PlanContext } from './planBatch.js';
import { processBatch, type ReplicatorLogger } from './processBatch.js';
import type { ReplicatorTracing } from './tracing.js';
import type { BatchResult, StreamRecord, WriteResult } from './types.js';

/** Options of {@link createReplicator}; everything not given is built from the config. */
export interface ReplicatorSetup {
  readonly config: Config;
  /** The region whose stream this replicator reads. */
  readonly region: string;
  /** DynamoDB clients by region. @default one keep-alive client per region of the config */
  readonly clients?: Readonly<Record<string, DynamoDBClient>>;
  /** @default what `deadLetter` asks for: a JSON-lines file `<dir>/dead-letter-<region>.jsonl`, or an SQS queue */
  readonly deadLetters?: DeadLetterSink;
  /** @default a Powertools logger, service "dynasync" */
  readonly logger?: ReplicatorLogger;
  readonly onRetry?: () => void;
  /** Called for every dead letter too large for a queue message (the metric `DeadLetterOversize`). */
  readonly onDeadLetterOversize?: () => void;
  /** Called once per peer write with its outcome. */
  readonly onWriteResult?: (result: WriteResult) => void;
  /**
   * The peers' resolved pipelines (`createPipelines`). Required when the config has pipelines for
   * this region's peers: the replicator refuses to start without them.
   * @default none
   */
  readonly pipelines?: Readonly<Record<string, Pipeline>>;
  /**
   * The table whose stream this replicator reads (`sourceTableOf`): a record from any other stream is
   * dead-lettered (`replicator.foreignRecord`), never applied. The Lambda handler always sets it.
   * @default not checked
   */
  readonly source?: SourceTable;
  /** The clock for versions from the future and dead-letter times, epoch ms. @default Date.now */
  readonly now?: () => number;
  /**
   * The user merge of `conflict.module`, loaded and checked at start-up (`loadConfiguredMerge`).
   * @default imported on first use, so a broken module shows only at the first conflict
   */
  readonly merge?: MergeFunction;
  /**
   * X-Ray subsegments per batch and per peer (`powertoolsTracing(tracer)`; the Lambda handler sets it).
   * @default no tracing
   */
  readonly tracing?: ReplicatorTracing;
}

/** A configured replicator for one region: call `process` with each stream batch. */
export interface Replicator {
  readonly region: string;
  readonly peers: readonly string[];
  process(records: readonly StreamRecord[], deadlineMs: number): Promise<BatchResult>;
}

export { deadLetterPath } from './deadLetter/createDeadLetterSink.js';

/**
 * Wires a replicator for one region from the config: its peers, their tables and clients, the
 * dead-letter sink and the logger.
 * @example
 * const replicator = createReplicator({ config, region: 'eu-west-1' });
 * const result = await replicator.process(event.Records, Date.now() + 30_000);
 */
export const createReplicator = (setup: ReplicatorSetup): Replicator => {
  const { config, region } = setup;
  if (config.regions[region] === undefined) {
    throw new Error(
      `createReplicator: region "${region}" is not in the config (${Object.keys(config.regions).join(', ')})`,
    );
  }
  const peers = peersOf(config, region);
  assertPipelinesResolved(config, peers, setup.pipelines, 'createReplicator');
  const logger = setup.logger ?? new Logger({ serviceName: 'dynasync', persistentKeys: { region } });
  const names = metadataNames(config);
  const clients =
    setup.clients ?? createDynamoClients(config, { maxSockets: config.replicator.concurrency * 2 });
  const { conflict } = config;
  const writer = createPeerWrites(config, region, {
    clients,
    logger,
    peers,
    caller: 'createReplicator',
    ...(setup.onRetry === undefined ? {} : { onRetry: setup.onRetry }),
    ...(setup.merge === undefined ? {} : { merge: setup.merge }),
  });
  const context: PlanContext = {
    region,
    peers,
    topology: config.topology.type,
    names,
    tombstoneRetentionSeconds: config.tombstones.retentionDays * 86_400,
    maxClockSkewMs: config.replicator.maxClockSkewMs,
    ...(setup.now === undefined ? {} : { now: setup.now }),
    ...(setup.source === undefined ? {} : { source: setup.source }),
    ...(setup.pipelines === undefined ? {} : { pipelines: setup.pipelines }),
    ...(conflict.strategy === 'merge' ? { clockAttribute: mergeNamesFor(config.metadata.prefix).clock } : {}),
  };
  const deps = {
    context,
    writer,
    deadLetters:
      setup.deadLetters ??
      createDeadLetterSink({
        config,
        region,
        onOversize: (letter) => {
          setup.onDeadLetterOversize?.();
          logger.error('dead letter too large for a queue message: stored without its record', {
            code: ErrorCodes.replicator.deadLetterFailed,
            sequenceNumber: letter.record.dynamodb?.SequenceNumber,
            targetRegions: letter.targetRegions,
          });
        },
      }),
    logger,
    configVersion: config.configVersion,
    ...(setup.now === undefined ? {} : { now: setup.now }),
    ...(setup.onWriteResult === undefined ? {} : { onWriteResult: setup.onWriteResult }),
    ...(setup.tracing === undefined ? {} : { tracing: setup.tracing }),
    ...(setup.pipelines === undefined ? {} : { protectLetter: letterProtector(setup.pipelines) }),
  };
  return {
    region,
    peers,
    process: (records, deadlineMs) => processBatch(records, deadlineMs, deps),
  };
};
