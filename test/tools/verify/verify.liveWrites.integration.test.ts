import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeVersion } from '../../../conflict/version.js';
import type { Item } from '../../../core/types.js';
import { verify } from '../../../tools/verify/verify.js';
import {
  batchPut,
  names,
  type RegionPair,
  regionPair,
  replicaOf,
  SOURCE,
  TARGET,
  versionAt,
} from './verifyHarness.js';

const pairs: RegionPair[] = [];
afterEach(async () => {
  for (const pair of pairs.splice(0)) await pair.cleanup();
});

/** Replication's conditional put: never over an equal or newer version. */
const conditionalPut = async (client: DynamoDBClient, table: string, item: Item, version: string) => {
  try {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: item as never,
        ConditionExpression: 'attribute_not_exists(#v) OR #v < :v',
        ExpressionAttributeNames: { '#v': names.version },
        ExpressionAttributeValues: { ':v': { S: version } },
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
  }
};

/**
 * A workload on hot keys while verify runs, replicated as the replicator would: each change is
 * written to its origin table at once and to the other table `lagMs` later, with the conditional
 * put of replication. Active-active: changes originate in both regions, with HLC versions.
 * One-way: raw source writes (no version), replicas versioned by their order (as stream positions).
 */
const startWorkload = (pair: RegionPair, topology: 'active-active' | 'one-way', lagMs: number) => {
  let stopped = false;
  let writes = 0;
  const inFlight = new Set<Promise<void>>();
  const track = (promise: Promise<void>) => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
  };
  const later = (ms: number, body: () => Promise<void>) =>
    track(new Promise<void>((resolve) => setTimeout(resolve, ms)).then(body));
  const loop = async () => {
    for (let n = 0; !stopped; n += 1) {
      const pk = `k${n % 20}`; // 20 hot keys, each rewritten every ~20 × 10 ms, well within the lag
      const physicalMs = Date.now();
      if (topology === 'one-way') {
        const image: Item = { pk: { S: pk }, n: { N: String(n) }, by: { S: 'writer' } };
        const version = encodeVersion({ physicalMs, logical: 0, origin: SOURCE, sequence: String(n + 1) });
        await pair.source.send(new PutItemCommand({ TableName: pair.sourceTable, Item: image as never }));
        later(lagMs, () =>
          conditionalPut(
            pair.target,
            pair.targetTable,
            { ...replicaOf(image), [names.version]: { S: version } },
            version,
          ),
        );
      } else {
        const origin = n % 3 === 0 ? TARGET : SOURCE;
        const version = encodeVersion({ physicalMs, logical: n % 1000, origin });
        const item: Item = {
          pk: { S: pk },
          n: { N: String(n) },
          by: { S: origin },
          [names.version]: { S: version },
        };
        const [own, ownTable, peer, peerTable] =
          origin === SOURCE
            ? [pair.source, pair.sourceTable, pair.target, pair.targetTable]
            : [pair.target, pair.targetTable, pair.source, pair.sourceTable];
        await conditionalPut(own, ownTable, item, version);
        later(lagMs, () => conditionalPut(peer, peerTable, replicaOf(item), version));
      }
      writes += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const running = loop();
  return {
    writes: () => writes,
    stop: async () => {
      stopped = true;
      await running;
      await Promise.all([...inFlight]);
    },
  };
};

describe('verify while writes are running', () => {
  for (const topology of ['active-active', 'one-way'] as const) {
    it(`${topology}: changes in flight during the scan are settled, never reported as drift`, async () => {
      // Prepare: 1500 replicated keys; hot keys k0..k19 keep changing in both tables with a 300 ms lag.
      const pair = await regionPair({ topology });
      pairs.push(pair);
      const items: Item[] = Array.from({ length: 1_500 }, (_, i) =>
        topology === 'one-way'
          ? { pk: { S: `k${i}` }, n: { N: '0' }, by: { S: 'writer' } }
          : {
              pk: { S: `k${i}` },
              n: { N: '0' },
              by: { S: SOURCE },
              [names.version]: { S: versionAt(1_700_000_000_000) },
            },
      );
      const replicas = items.map((item) =>
        topology === 'one-way'
          ? {
              ...replicaOf(item),
              [names.version]: { S: `${versionAt(1_700_000_000_000)}~${'0'.repeat(39)}1` },
            }
          : replicaOf(item),
      );
      await Promise.all([
        batchPut(pair.source, pair.sourceTable, items),
        batchPut(pair.target, pair.targetTable, replicas),
      ]);
      const workload = startWorkload(pair, topology, 300);
      try {
        await new Promise((resolve) => setTimeout(resolve, 500)); // the hot keys are in flight

        // Act: small pages so the scan interleaves with the writes; settle above the lag.
        const report = await verify({
          config: pair.config,
          from: SOURCE,
          to: TARGET,
          clients: pair.clients,
          segments: 2,
          pageSize: 25,
          settleSeconds: 1.5,
        });
        const writesDuringVerify = workload.writes();

        // Assess
        expect(writesDuringVerify).toBeGreaterThan(20);
        expect(report.counts).toMatchObject({ missing: 0, extra: 0, different: 0 });
        expect(report.inSync).toBe(true);
        expect(report.counts.settled).toBeGreaterThan(0);
      } finally {
        await workload.stop();
      }
      // Once the writes stop and the lag has passed, the tables agree outright.
      const quiet = await verify({
        config: pair.config,
        from: SOURCE,
        to: TARGET,
        clients: pair.clients,
        settleSeconds: 0,
      });
      expect(quiet.counts).toEqual({ missing: 0, extra: 0, different: 0, settled: 0 });
    });
  }
});
