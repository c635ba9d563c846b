import { afterEach, describe, expect, it } from 'vitest';
import { backfill } from '../../../tools/backfill/backfill.js';
import { verify } from '../../../tools/verify/verify.js';
import { killAllRuns, startCli } from '../../helpers/childRun.js';
import { batchPut } from '../verify/verifyHarness.js';
import {
  awaitReplication,
  type BackfillPair,
  backfillPair,
  liveWorkload,
  plainItems,
  SOURCE,
  sleep,
  TARGET,
} from './backfillHarness.js';

const pairs: BackfillPair[] = [];
afterEach(async () => {
  await killAllRuns();
  for (const pair of pairs.splice(0)) await pair.cleanup();
});

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
    const workload = liveWorkload(pair, 7);
    const report = await backfill({
      config: pair.config,
      from: SOURCE,
      to: TARGET,
      segments: 2,
      pageSize: 50,
      maxWps: 200,
    });
    await sleep(500);
    const ops = await workload.stop();
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
