import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { backfill } from '../../../tools/backfill/backfill.js';
import { verify } from '../../../tools/verify/verify.js';
import { killAllRuns, startCli } from '../../helpers/childRun.js';
import { seededRandom } from '../../support/seededRandom.js';
import { batchPut } from '../verify/verifyHarness.js';
import { type BackfillPair, backfillPair, plainItems, SOURCE, TARGET } from './backfillHarness.js';

const pairs: BackfillPair[] = [];
afterEach(async () => {
  await killAllRuns();
  for (const pair of pairs.splice(0)) await pair.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `probe` to the source until replication has carried it to the target. */
const awaitReplication = async (pair: BackfillPair, probe: string): Promise<void> => {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    await pair.source.send(
      new PutItemCommand({
        TableName: pair.sourceTable,
        Item: { pk: { S: probe }, attempt: { N: String(attempt) } },
      }),
    );
    await sleep(250);
    const { Item } = await pair.target.send(
      new GetItemCommand({ TableName: pair.targetTable, Key: { pk: { S: probe } }, ConsistentRead: true }),
    );
    if (Item !== undefined) return;
  }
  throw new Error(`replication did not carry ${probe} within 50 s`);
};

describe('backfill while replication and a live workload run (DynamoDB Local)', () => {
  it('converges: the seeded replica verifies clean, deletes made during the backfill stay deleted', async () => {
    // Prepare: 600 items written before replication starts (LATEST: the stream carries none of them).
    const pair = await backfillPair({
      sourceStream: true,
      replicator: { startingPosition: 'LATEST', pollIntervalMs: 50, batchSize: 100 },
    });
    pairs.push(pair);
    await batchPut(pair.source, pair.sourceTable, plainItems(600));
    const replicator = startCli({ args: ['run', '--config', pair.configFile, '--region', SOURCE] });
    await awaitReplication(pair, 'probe-start');

    // Act: a live workload of updates, deletes and new keys while the backfill runs (slowed down to overlap).
    const random = seededRandom(7);
    const ops = { updates: 0, deletes: 0, inserts: 0 };
    let stopped = false;
    const workload = (async () => {
      // At least 160 operations (the seeded sequence holds ~40 deletes and ~80 updates), and until the backfill ends.
      for (let n = 0; !stopped || n < 160; n += 1) {
        const roll = random();
        const key = `k${Math.floor(random() * 600)}`;
        if (roll < 0.5) {
          ops.updates += 1;
          await pair.source.send(
            new PutItemCommand({
              TableName: pair.sourceTable,
              Item: { pk: { S: key }, label: { S: `update ${n}` } },
            }),
          );
        } else if (roll < 0.75) {
          ops.deletes += 1;
          await pair.source.send(
            new DeleteItemCommand({ TableName: pair.sourceTable, Key: { pk: { S: key } } }),
          );
        } else {
          ops.inserts += 1;
          await pair.source.send(
            new PutItemCommand({ TableName: pair.sourceTable, Item: plainItems(1, 600 + n)[0]! as never }),
          );
        }
        await sleep(10);
      }
    })();
    const report = await backfill({
      config: pair.config,
      from: SOURCE,
      to: TARGET,
      segments: 2,
      pageSize: 50,
      maxWps: 200,
    });
    await sleep(500);
    stopped = true;
    await workload;
    await awaitReplication(pair, 'probe-end');

    // Assess
    expect(report.path.chosen).toBe('conditional');
    expect(report.complete).toBe(true);
    expect(ops.deletes).toBeGreaterThan(20);
    expect(ops.updates).toBeGreaterThan(20);
    const audit = await verify({ config: pair.config, from: SOURCE, to: TARGET, settleSeconds: 2 });
    expect(audit.counts).toMatchObject({ missing: 0, extra: 0, different: 0 });
    expect(audit.inSync).toBe(true);
    expect(audit.tombstones.target).toBeGreaterThan(0);
    await replicator.kill('SIGTERM');
  });
});
