import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../core/config/loadConfig.js';
import { resolveKeyHasher } from '../../../keys/keyHasher.js';
import { S3JobStore } from '../../../tools/scaleout/S3JobStore.js';
import { runSqsWorker } from '../../../tools/scaleout/sqsWorker.js';
import { createVerifyTaskRunner } from '../../../tools/scaleout/verifyTasks.js';
import {
  runVerifyCommand,
  type VerifyCommandOptions,
  VerifyExitCodes,
} from '../../../tools/verify/command.js';
import type { VerifyReport } from '../../../tools/verify/types.js';
import { FakeTerminal } from '../../helpers/fakeTerminal.js';
import { type MotoServer, motoAvailableOrWarn, startMoto } from '../../helpers/motoServer.js';
import { deployToMoto } from '../../helpers/scaleoutStack.js';
import { build, scenario } from './injectedDrift.js';
import { batchPut, regionPair, SOURCE, TARGET } from './verifyHarness.js';

/*
 * `dynasync verify --engine stepfunctions` end to end: the DynasyncScaleout state machine under
 * moto_server (its task queue swapped for a moto queue, as in stepFunctionsVerify.integration.test.ts),
 * two runSqsWorker workers with the real verify task runner on DynamoDB Local, the job store on S3
 * in moto. Driven through runVerifyCommand, its exit code, summary and --output lines are the local
 * run's for the same injected drift; a second run with --job-id resumes and reports the same.
 */
const available = motoAvailableOrWarn();

/** Summary lines that depend on the engine's method, timing or choice of sample, left out of the comparison. */
const ENGINE_SPECIFIC = /^ {2}(read units|method|time|job) /;
const summaryOf = (printed: readonly string[]): string[] => {
  const table = printed.filter((line) => !line.startsWith('verify: '));
  const end = table.indexOf('');
  return (end === -1 ? table : table.slice(0, end)).filter((line) => !ENGINE_SPECIFIC.test(line));
};

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

const sortedLines = async (file: string): Promise<string[]> =>
  (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .sort();

describe.skipIf(!available)('dynasync verify --engine stepfunctions (moto, DynamoDB Local)', () => {
  let moto: MotoServer;
  let root: string;
  beforeEach(async () => {
    moto = await startMoto();
    root = await mkdtemp(join(tmpdir(), 'dynasync-verify-sfn-cli-'));
  }, 120_000);
  afterEach(async () => {
    await moto?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('gives the local run exit code, summary and --output for injected drift, and resumes with --job-id', async () => {
    const [input] = fc.sample(scenario(), { seed: 23, numRuns: 1 });
    const pair = await regionPair();
    try {
      const { source, target, expected } = build(input!);
      expect(expected.length).toBeGreaterThan(0);
      await Promise.all([
        batchPut(pair.source, pair.sourceTable, source),
        batchPut(pair.target, pair.targetTable, target),
      ]);
      const configFile = join(root, 'dynasync.json');
      await writeFile(
        configFile,
        JSON.stringify({
          version: 1,
          name: 'verify-sfn-cli',
          regions: pair.config.regions,
          topology: pair.config.topology,
        }),
      );
      const config = loadConfigFile(configFile);

      const { sfn, sqs, s3, queueUrl, stateMachineArn } = await deployToMoto(moto);
      let scans = 0;
      const runner = createVerifyTaskRunner({
        store: new S3JobStore({ client: s3, bucket: 'jobs' }),
        config,
        clients: pair.clients,
        keyHasher: await resolveKeyHasher(config, SOURCE),
        workDir: root,
        configVersion: config.configVersion,
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
      const common = { config: configFile, from: SOURCE, to: TARGET, segments: input!.segments, settle: 0 };
      const run = async (options: Partial<VerifyCommandOptions>, progressStream = new FakeTerminal()) => {
        const printed: string[] = [];
        const code = await runVerifyCommand(
          { ...common, ...options },
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
      const onSfn = { engine: 'stepfunctions', stateMachineArn, jobBucket: 'jobs' };
      try {
        const local = await run({ output: join(root, 'local.jsonl') });
        const terminal = new FakeTerminal();
        const remote = await run({ ...onSfn, output: join(root, 'sfn.jsonl'), jobId: 'cli-job' }, terminal);

        expect(local.code).toBe(VerifyExitCodes.drift);
        expect(remote.code).toBe(local.code);
        expect(summaryOf(remote.printed)).toEqual(summaryOf(local.printed));
        expect(await sortedLines(join(root, 'sfn.jsonl'))).toEqual(
          await sortedLines(join(root, 'local.jsonl')),
        );
        // The same estimate line, then the job line naming its S3 folder and how to resume.
        expect(remote.printed[0]).toBe(local.printed[0]);
        expect(remote.printed[1]).toMatch(
          /^verify: job cli-job \(\d+ of \d+ segments\) in s3:\/\/jobs\/jobs\/cli-job\/; resume with --job-id cli-job$/,
        );
        expect(terminal.text).toContain(`segments`);
        const scansFirst = scans;
        expect(scansFirst).toBeGreaterThanOrEqual(input!.segments);

        // Resume with --json: the succeeded execution is followed, nothing is scanned again.
        const localJson = await run({ json: true });
        const resumed = await run({ ...onSfn, jobId: 'cli-job', json: true });
        expect(resumed.code).toBe(local.code);
        expect(scans).toBe(scansFirst);
        const reportOf = ({ printed }: { printed: string[] }) =>
          JSON.parse(printed.join('\n')) as VerifyReport;
        expect(comparable(reportOf(resumed))).toEqual(comparable(reportOf(localJson)));
      } finally {
        controller.abort();
        await Promise.allSettled(workers);
      }
    } finally {
      await pair.cleanup();
    }
  }, 600_000);
});
