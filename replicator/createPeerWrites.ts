import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MergeFunction } from '../conflict/merge/types.js';
import { metadataNames, peersOf } from '../core/config/topology.js';
import type { Config } from '../core/config/types.js';
import type { KeyHasher } from '../keys/keyHasher.js';
import { createMergeWriter } from './merge/createMergeWriter.js';
import { PeerWriter, type PeerWriterOptions } from './PeerWriter.js';
import type { PeerWrites } from './PeerWrites.js';
import type { ReplicatorLogger } from './processBatch.js';
import type { PlannedWrite } from './types.js';

/** What {@link createPeerWrites} needs besides the config and the source region. */
export interface PeerWritesSetup {
  /** DynamoDB clients by region: one for each peer written to. */
  readonly clients: Readonly<Record<string, DynamoDBClient>>;
  /** The merge writer's log of conflicts (never values). */
  readonly logger: ReplicatorLogger;
  /** The regions written to. @default the source region's peers (`peersOf`) */
  readonly peers?: readonly string[];
  /** Retry delays of transient failures, ms. @default the config's `replicator.baseDelayMs` / `maxDelayMs` */
  readonly retry?: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  /** Called after each failed attempt that will be retried (for metrics). @default none */
  readonly onRetry?: (write: PlannedWrite, error: unknown) => void;
  /**
   * Merge strategy: the user merge of `conflict.module`, loaded and checked at start-up (`loadConfiguredMerge`).
   * @default imported on first use, when the config names a module
   */
  readonly merge?: MergeFunction;
  /** Merge strategy: the hasher of the conflicts' keys. @default the deployment's (`resolveKeyHasher`), on the first conflict */
  readonly keyHasher?: KeyHasher;
  /** Named in the error for a missing client. @default "createPeerWrites" */
  readonly caller?: string;
}

/**
 * The writer of a region's peer writes, as the config's `conflict.strategy` asks: conditional puts
 * by version (LWW, `PeerWriter`) or vector clocks and merges (`MergePeerWriter`, with its audit
 * sink). The one place that turns the config into writer options; the replicator, redrive and
 * verify's merge repairs all write through it.
 * @example
 * const writer = createPeerWrites(config, 'eu-west-1', { clients, logger });
 * const results = await writer.sendAll(plan.writes, Date.now() + 30_000);
 * @throws Error when `clients` has no client for a peer (a wiring bug).
 */
export const createPeerWrites = (config: Config, region: string, setup: PeerWritesSetup): PeerWrites => {
  const peers = setup.peers ?? peersOf(config, region);
  const writerOptions: PeerWriterOptions = {
    peers: Object.fromEntries(
      peers.map((peer) => {
        const client = setup.clients[peer];
        if (client === undefined)
          throw new Error(
            `${setup.caller ?? 'createPeerWrites'}: no DynamoDB client for peer region "${peer}"`,
          );
        return [peer, { client, tableName: config.regions[peer]!.table }];
      }),
    ),
    names: metadataNames(config),
    concurrency: config.replicator.concurrency,
    baseDelayMs: setup.retry?.baseDelayMs ?? config.replicator.baseDelayMs,
    maxDelayMs: setup.retry?.maxDelayMs ?? config.replicator.maxDelayMs,
    ...(setup.onRetry === undefined ? {} : { onRetry: setup.onRetry }),
  };
  const { conflict } = config;
  if (conflict.strategy !== 'merge') return new PeerWriter(writerOptions);
  return createMergeWriter({
    config,
    conflict,
    region,
    logger: setup.logger,
    writerOptions,
    ...(setup.merge === undefined ? {} : { merge: setup.merge }),
    ...(setup.keyHasher === undefined ? {} : { keyHasher: setup.keyHasher }),
  });
};
