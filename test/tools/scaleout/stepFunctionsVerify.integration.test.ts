import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planJob } from '../../../tools/scaleout/planJob.js';
import { S3JobStore } from '../../../tools/scaleout/S3JobStore.js';
import { runSqsWorker } from '../../../tools/scaleout/sqsWorker.js';
import { runStepFunctionsVerify } from '../../../tools/scaleout/stepFunctionsEngine.js';
import { createVerifyTaskRunner, readVerifyResult } from '../../../tools/scaleout/verifyTasks.js';
import type { Difference, VerifyReport } from '../../../tools/verify/types.js';
import { verify } from '../../../tools/verify/verify.js';
import { type MotoServer, motoAvailableOrWarn, startMoto } from '../../helpers/motoServer.js';
import { deployToMoto } from '../../helpers/scaleoutStack.js';
import { build, byKey, rows, scenario } from '../verify/injectedDrift.js';
import { batchPut, regionPair, SOURCE, TARGET } from '../verify/verifyHarness.js';

/*
 * A verify job end to end: the construct's state machine under moto_server (the one resource swap:
 * the task queue's URL, see docs/scaleout.md), three runSqsWorker workers running the real verify
 * task runner against DynamoDB Local, the job store on S3 in moto. Its report and differences are
 * the local verify's, and a re-run with the same job id resumes (returns the same, scans nothing).
 */
const available = motoAvailableOrWarn();
const keyHasher = (keyId: string) => `h:${keyId.length}`;

const comparable = (report: VerifyReport) => {
  const {
    durationMs: _d,
    itemsPerSecond: _i,
    method: _m,
    sample: _s,
    scaleout: _o,
    consumedCapacity: _c,
    ...rest
  } = report;
  return rest;
};

describe.skipIf(!available)('verify through Step Functions (moto) with SQS workers on DynamoDB Local', () => {
  let moto: MotoServer;
  let root: string;
  beforeEach(async () => {
    moto = await startMoto();
    root = await mkdtemp(join(tmpdir(), 'dynasync-sfn-e2e-'));
  }, 120_000);
  afterEach(async () => {
    await moto?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('gives exactly the local verify result with three workers, and resumes under the same job id', async () => {
    const [input] = fc.sample(scenario(), { seed: 17, numRuns: 1 });
    const pair = await regionPair();
    try {
      const { source, target, expected } = build(input!);
      await Promise.all([
        batchPut(pair.source, pair.sourceTable, source),
        batchPut(pair.target, pair.targetTable, target),
      ]);

      const { sfn, sqs, s3, queueUrl, stateMachineArn } = await deployToMoto(moto);
      const store = new S3JobStore({ client: s3, bucket: 'jobs' });
      let scans = 0;
      const runner = createVerifyTaskRunner({
        store,
        config: pair.config,
        clients: pair.clients,
        keyHasher,
        workDir: root,
        configVersion: 'test',
      });
      const counted: typeof runner = (task, context) => {
        if (task.kind === 'scanSegment') scans += 1;
        return runner(task, context);
      };
      const controller = new AbortController();
      const workers = [1, 2, 3].map(() =>
        runSqsWorker({
          queueUrl,
          runner: counted,
          sfn,
          sqs,
          signal: controller.signal,
          waitSeconds: 1,
          heartbeatMs: 60_000,
        }),
      );
      const spec = planJob({
        command: 'verify',
        configVersion: 'test',
        from: SOURCE,
        to: TARGET,
        totalSegments: input!.segments,
        shuffle: false,
        partitions: 8,
        concurrency: 3,
        jobId: 'e2e-job',
        options: { settleSeconds: 0, pageSize: 7 },
      });
      const run = () =>
        runStepFunctionsVerify<{ inSync: boolean }>({
          sfn,
          store,
          stateMachineArn,
          spec,
          pollMs: 200,
        });
      try {
        await run();
        const scansFirst = scans;
        const result = await readVerifyResult(store, spec.jobId);
        const differences: Difference[] = [];
        for await (const difference of result.differences) differences.push(difference);

        const local = await verify({
          config: pair.config,
          from: SOURCE,
          to: TARGET,
          clients: pair.clients,
          segments: input!.segments,
          settleSeconds: 0,
          partitions: 8,
          keyHasher,
        });
        expect(rows(differences).sort(byKey)).toEqual([...expected].sort(byKey));
        expect(comparable(result.report)).toEqual(comparable(local));
        expect(scansFirst).toBeGreaterThanOrEqual(input!.segments);

        // Resume: the succeeded execution is followed, nothing is scanned again.
        await run();
        expect(scans).toBe(scansFirst);
      } finally {
        controller.abort();
        await Promise.allSettled(workers);
      }
    } finally {
      await pair.cleanup();
    }
  }, 600_000);
});
