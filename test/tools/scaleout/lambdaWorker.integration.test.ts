import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../core/config/types.js';
import { DynasyncScaleout, ScaleoutWorkerEnv } from '../../../infra/scaleout/DynasyncScaleout.js';
import type { SqsTaskEvent } from '../../../tools/scaleout/lambdaWorker.js';
import { planJob } from '../../../tools/scaleout/planJob.js';
import { S3JobStore } from '../../../tools/scaleout/S3JobStore.js';
import { runStepFunctionsVerify } from '../../../tools/scaleout/stepFunctionsEngine.js';
import { readVerifyResult } from '../../../tools/scaleout/verifyTasks.js';
import type { Difference } from '../../../tools/verify/types.js';
import {
  type MotoServer,
  motoAvailableOrWarn,
  motoClientConfig,
  startMoto,
} from '../../helpers/motoServer.js';
import { deployToMoto, type MotoScaleout } from '../../helpers/scaleoutStack.js';
import { build, byKey, rows, scenario } from '../verify/injectedDrift.js';
import { batchPut, type RegionPair, regionPair, SOURCE, TARGET } from '../verify/verifyHarness.js';

/*
 * The worker Lambda as DynasyncScaleout deploys it: the esbuild bundle of tools/scaleout/lambdaWorker.ts
 * the construct stages as the function's code (not the TypeScript source), imported as the runtime
 * imports it, with the environment the template gives it (DYNASYNC_CONFIG from the `config` prop; the
 * bucket and key, CloudFormation references, become moto's), answering a verify job's tasks that the
 * construct's state machine sends through SQS in moto_server, on DynamoDB Local. A poll loop stands in
 * for Lambda's SQS event source mapping (batch size 1, a message deleted unless reported failed).
 */
const available = motoAvailableOrWarn();

type Handler = (
  event: SqsTaskEvent,
  context: { getRemainingTimeInMillis(): number },
) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

/** Synthesises the construct with its real bundling and returns the worker's entry file and environment. */
const bundledWorker = (config: Config) => {
  const dockerBefore = process.env.CDK_DOCKER;
  // Any attempt to run Docker would fail: the bundle is built by the local esbuild.
  process.env.CDK_DOCKER = '/nonexistent/docker-must-not-run';
  try {
    const app = new App();
    const stack = new Stack(app, 'Scaleout', { env: { account: '123456789012', region: 'eu-west-1' } });
    new DynasyncScaleout(stack, 'Scaleout', {
      sourceTable: dynamodb.Table.fromTableName(stack, 'Source', config.regions[SOURCE]!.table),
      targetTable: dynamodb.Table.fromTableName(stack, 'Target', config.regions[TARGET]!.table),
      config,
    });
    const template = Template.fromStack(stack);
    type Fn = {
      Properties: {
        Handler: string;
        Code: { S3Key: string };
        Environment?: { Variables: Record<string, unknown> };
      };
    };
    const functions = (Object.values(template.findResources('AWS::Lambda::Function')) as Fn[]).filter(
      (resource) => typeof resource.Properties.Environment?.Variables[ScaleoutWorkerEnv.config] === 'string',
    );
    expect(functions).toHaveLength(1);
    const fn = functions[0]!.Properties;
    expect(fn.Handler).toBe('index.handler');
    const dir = join(app.outdir, `asset.${fn.Code.S3Key.replace(/\.zip$/, '')}`);
    const entry = readdirSync(dir).find((name) => name === 'index.mjs' || name === 'index.js');
    expect(entry).toBeDefined();
    return { entry: join(dir, entry!), environment: fn.Environment?.Variables ?? {}, outdir: app.outdir };
  } finally {
    if (dockerBefore === undefined) delete process.env.CDK_DOCKER;
    else process.env.CDK_DOCKER = dockerBefore;
  }
};

describe.skipIf(!available)(
  'the bundled worker Lambda (the construct code asset) on moto and DynamoDB Local',
  () => {
    let moto: MotoServer;
    let deployed: MotoScaleout;
    let pair: RegionPair;
    let handler: Handler;
    let outdir: string;
    const envBefore = { ...process.env };

    beforeAll(async () => {
      moto = await startMoto();
      deployed = await deployToMoto(moto);
      pair = await regionPair();
      const worker = bundledWorker(pair.config);
      outdir = worker.outdir;
      // Imported before its environment is set: nothing is read or created until the first message.
      const module = (await import(pathToFileURL(worker.entry).href)) as { handler?: Handler };
      expect(typeof module.handler).toBe('function');
      handler = module.handler!;

      const kms = new KMSClient(motoClientConfig(moto));
      const keyArn = (await kms.send(new CreateKeyCommand({ Description: 'job bucket' }))).KeyMetadata?.Arn;
      kms.destroy();
      expect(keyArn).toBeDefined();
      expect(typeof worker.environment[ScaleoutWorkerEnv.bucket]).toBe('object');
      Object.assign(process.env, {
        // The template's config, unchanged; the bucket and key references become moto's.
        [ScaleoutWorkerEnv.config]: worker.environment[ScaleoutWorkerEnv.config] as string,
        [ScaleoutWorkerEnv.bucket]: deployed.bucket,
        [ScaleoutWorkerEnv.keyArn]: keyArn,
        // What the Lambda runtime adds; S3 and Step Functions calls go to moto (DynamoDB's to the config's endpoints).
        AWS_REGION: 'eu-west-1',
        AWS_DEFAULT_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
      });
    }, 600_000);

    afterAll(async () => {
      for (const name of Object.keys(process.env)) if (!(name in envBefore)) delete process.env[name];
      Object.assign(process.env, envBefore);
      await pair?.cleanup();
      await moto?.stop();
      if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
    });

    it("runs a verify job's tasks and gives the job's differences", async () => {
      const [input] = fc.sample(scenario(), { seed: 23, numRuns: 1 });
      const { source, target, expected } = build(input!);
      expect(expected.length).toBeGreaterThan(0);
      await Promise.all([
        batchPut(pair.source, pair.sourceTable, source),
        batchPut(pair.target, pair.targetTable, target),
      ]);
      const { sqs, sfn, s3, queueUrl, stateMachineArn, bucket } = deployed;
      const store = new S3JobStore({ client: s3, bucket });

      // Lambda's SQS event source mapping, as far as the worker sees it.
      let stopped = false;
      let invocations = 0;
      const failures: string[] = [];
      const poll = (async () => {
        while (!stopped) {
          const { Messages } = await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: queueUrl,
              MaxNumberOfMessages: 1,
              WaitTimeSeconds: 1,
              VisibilityTimeout: 300,
            }),
          );
          for (const message of Messages ?? []) {
            invocations += 1;
            const response = await handler(
              { Records: [{ messageId: message.MessageId ?? '', body: message.Body ?? '' }] },
              { getRemainingTimeInMillis: () => 900_000 },
            );
            if (response.batchItemFailures.length > 0) failures.push(message.MessageId ?? '');
            else
              await sqs.send(
                new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
              );
          }
        }
      })();
      try {
        const spec = planJob({
          command: 'verify',
          // What `dynasync verify --engine stepfunctions` writes: the version of the config it loaded.
          configVersion: pair.config.configVersion,
          from: SOURCE,
          to: TARGET,
          totalSegments: 3,
          shuffle: false,
          concurrency: 3,
          jobId: 'lambda-job',
          options: { settleSeconds: 0, pageSize: 11 },
        });
        await runStepFunctionsVerify({ sfn, store, stateMachineArn, spec, pollMs: 200 });
        const result = await readVerifyResult(store, spec.jobId);
        const differences: Difference[] = [];
        for await (const difference of result.differences) differences.push(difference);
        expect(rows(differences).sort(byKey)).toEqual([...expected].sort(byKey));
        expect(result.report.inSync).toBe(expected.length === 0);
        // Three segment tasks and the settle task at least; every answer reached Step Functions.
        expect(invocations).toBeGreaterThanOrEqual(4);
        expect(failures).toEqual([]);
      } finally {
        stopped = true;
        await poll;
      }
    }, 600_000);
  },
);
