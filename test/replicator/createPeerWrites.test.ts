import type { DynamoDBClient, PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/loadConfig.js';
import { createPeerWrites } from '../../replicator/createPeerWrites.js';
import { MergePeerWriter } from '../../replicator/merge/MergePeerWriter.js';
import { PeerWriter } from '../../replicator/PeerWriter.js';
import { planBatch } from '../../replicator/planBatch.js';
import { WriteOutcomes } from '../../replicator/types.js';
import { planContext, silentLogger, stamped, streamRecord, version } from '../helpers/factories.js';

const configOf = (conflict?: { strategy: 'merge' }) =>
  parseConfig({
    version: 1,
    name: 'x',
    regions: { 'eu-west-1': { table: 'orders-eu' }, 'us-east-1': { table: 'orders-us' } },
    topology: { type: 'active-active' },
    ...(conflict === undefined ? {} : { conflict }),
  });

/** A client that accepts every put and records the table it was sent to. */
const recordingClient = (tables: string[]): DynamoDBClient =>
  ({
    send: async (command: { input: PutItemCommandInput }) => {
      tables.push(command.input.TableName ?? '?');
      return {};
    },
  }) as unknown as DynamoDBClient;

describe('createPeerWrites', () => {
  it('builds the LWW writer for conflict.strategy "lww", writing to each peer\'s configured table', async () => {
    // Prepare
    const tables: string[] = [];
    const writer = createPeerWrites(configOf(), 'eu-west-1', {
      clients: { 'us-east-1': recordingClient(tables) },
      logger: silentLogger,
    });
    const plan = planBatch(
      [streamRecord({ newImage: stamped({ pk: { S: 'k' } }, version(1_000)) })],
      planContext({ peers: ['us-east-1'] }),
    );

    // Act
    const results = await writer.sendAll(plan.writes, Date.now() + 60_000);

    // Assess
    expect(writer).toBeInstanceOf(PeerWriter);
    expect(results.map((result) => result.outcome)).toEqual([WriteOutcomes.applied]);
    expect(results[0]?.merge).toBeUndefined();
    expect(tables).toEqual(['orders-us']);
  });

  it('builds the merge writer for conflict.strategy "merge"', () => {
    const writer = createPeerWrites(configOf({ strategy: 'merge' }), 'eu-west-1', {
      clients: { 'us-east-1': recordingClient([]) },
      logger: silentLogger,
    });
    expect(writer).toBeInstanceOf(MergePeerWriter);
  });

  it('refuses a peer without a client, naming the caller and the peer', () => {
    expect(() =>
      createPeerWrites(configOf(), 'eu-west-1', { clients: {}, logger: silentLogger, caller: 'redrive' }),
    ).toThrow('redrive: no DynamoDB client for peer region "us-east-1"');
  });

  it('writes only to the peers it is given', () => {
    expect(() =>
      createPeerWrites(configOf(), 'eu-west-1', { clients: {}, logger: silentLogger, peers: [] }),
    ).not.toThrow();
  });
});
