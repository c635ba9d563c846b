import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Item } from '../../../core/types.js';
import {
  type BackfillCommandOptions,
  BackfillExitCodes,
  runBackfillCommand,
} from '../../../tools/backfill/command.js';
import { type BackfillReport, PathReasons } from '../../../tools/backfill/types.js';
import { createBackfillTaskRunner } from '../../../tools/scaleout/backfillTasks.js';
import { S3JobStore } from '../../../tools/scaleout/S3JobStore.js';
import { runSqsWorker } from '../../../tools/scaleout/sqsWorker.js';
import { scanAll } from '../../../tools/tables.js';
import { FakeTerminal } from '../../helpers/fakeTerminal.js';
import { type MotoServer, motoAvailableOrWarn, startMoto } from '../../helpers/motoServer.js';
import { deployToMoto } from '../../helpers/scaleoutStack.js';
import { batchPut } from '../verify/verifyHarness.js';
import { type BackfillPair, backfillPair, plainItems, SOURCE, TARGET } from './backfillHarness.js';

/*
 * `dynasync backfill --engine stepfunctions` end to end: the DynasyncScaleout state machine taken
 * from the CDK template under moto_server (its task queue swapped for a moto queue, as in
 * stepFunctionsVerify.integration.test.ts), two runSqsWorker workers with the real backfill task
 * runner on DynamoDB Local, the job store on S3 in moto. Driven through runBackfillCommand: the same
 * estimate line, counts and exit code as the one-process run, the replica seeded exactly; a second
 * run with --job-id follows the succeeded execution and scans nothing again.
 */
const available = motoAvailableOrWarn();

/** User attributes of every item of a table, by key, without dynasync's metadata. */
const userItems = async (client: DynamoDBClient, table: string): Promise<Map<string, Item>> => {
  const items = await scanAll(client, table);
  return new Map(
    items.map((item) => [
      JSON.stringify(item.pk),
      Object.fromEntries(Object.entries(item).filter(([name]) => !name.startsWith('_ds_'))) as Item,
    ]),
  );
};

const counted = (report: BackfillReport) => ({
  complete: report.complete,
  scanned: report.scanned,
  written: report.written,
  stale: report.stale,
  failed: report.failed,
  skipped: report.skipped,
  skipCodes: report.skipCodes,
});

describe.skipIf(!available)('dynasync backfill --engine stepfunctions (moto, DynamoDB Local)', () => {
  let moto: MotoServer;
  const pairs: BackfillPair[] = [];
  beforeEach(async () => {
    moto = await startMoto();
  }, 120_000);
  afterEach(async () => {
    await moto?.stop();
    for (const pair of pairs.splice(0)) await pair.cleanup();
  });

  it('seeds the replica with the one-process counts, exit code and estimate, and resumes with --job-id', async () => {
    // Prepare: the same 150 items in two pairs; the state machine, its queue and bucket in moto.
    const [single, remote] = [await backfillPair(), await backfillPair()];
    pairs.push(single, remote);
    for (const pair of [single, remote]) await batchPut(pair.source, pair.sourceTable, plainItems(150));
    const { sfn, sqs, s3, queueUrl, stateMachineArn } = await deployToMoto(moto);
    let scans = 0;
    const runner = createBackfillTaskRunner({
      store: new S3JobStore({ client: s3, bucket: 'jobs' }),
      config: remote.config,
      clients: remote.clients,
      configVersion: remote.config.configVersion,
    });
    const controller = new AbortController();
    const workers = [1, 2].map(() =>
      runSqsWorker({
        queueUrl,
        runner: (task, context) => {
          if (task.kind === 'scanSegment') scans += 1;
          return runner(task, context);
        },
        sfn,
        sqs,
        signal: controller.signal,
        waitSeconds: 1,
        heartbeatMs: 60_000,
      }),
    );
    const run = async (
      pair: BackfillPair,
      options: Partial<BackfillCommandOptions>,
      progressStream = new FakeTerminal(),
    ) => {
      const printed: string[] = [];
      const code = await runBackfillCommand(
        { config: pair.configFile, from: SOURCE, to: TARGET, segments: 4, pageSize: 40, ...options },
        {
          print: (text) => printed.push(...text.split('\n')),
          progressStream,
          clients: pair.clients,
          sfn,
          s3,
          pollMs: 200,
        },
      );
      return { code, printed };
    };
    const onSfn = {
      engine: 'stepfunctions',
      stateMachineArn,
      jobBucket: 'jobs',
      jobId: 'bf-job',
    };
    try {
      // Act
      const local = await run(single, { json: true });
      const terminal = new FakeTerminal();
      const text = await run(remote, onSfn, terminal);
      const scansFirst = scans;
      const resumed = await run(remote, { ...onSfn, json: true });

      // Assess
      const reportOf = ({ printed }: { printed: string[] }) =>
        JSON.parse(printed.join('\n')) as BackfillReport & { estimate: unknown };
      expect(local.code).toBe(BackfillExitCodes.complete);
      expect(text.code).toBe(local.code);
      expect(text.printed[0]).toMatch(/^backfill will consume about /);
      expect(text.printed[1]).toBe(
        'backfill: job bf-job (4 segments) in s3://jobs/jobs/bf-job/; resume with --job-id bf-job',
      );
      expect(text.printed.join('\n')).toContain('COMPLETE');
      expect(terminal.text).toContain('segments');
      expect(scansFirst).toBeGreaterThanOrEqual(4);
      expect(resumed.code).toBe(local.code);
      expect(scans).toBe(scansFirst);
      expect(counted(reportOf(resumed))).toEqual(counted(reportOf(local)));
      expect(reportOf(resumed).estimate).toEqual(reportOf(local).estimate);
      expect(reportOf(resumed).path.reason).toBe(PathReasons.segmentTasks);
      expect(await userItems(remote.target, remote.targetTable)).toEqual(
        await userItems(remote.source, remote.sourceTable),
      );
      expect(await userItems(remote.target, remote.targetTable)).toEqual(
        await userItems(single.target, single.targetTable),
      );
    } finally {
      controller.abort();
      await Promise.allSettled(workers);
      for (const client of [sfn, sqs, s3]) client.destroy();
    }
  }, 600_000);
});
