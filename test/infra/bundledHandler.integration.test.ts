import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../core/config/loadConfig.js';
import { ErrorCodes } from '../../core/errors.js';
import { LambdaEnv } from '../../infra/constants.js';
import { decodeDeadLetter } from '../../replicator/deadLetter/encodeDeadLetter.js';
import { toLambdaRecord } from '../../replicator/poller/toLambdaRecord.js';
import type { BatchResponse, StreamEvent } from '../../replicator/types.js';
import { createReplicatedTable } from '../../tools/tables.js';
import { localClient, localEndpoint, readWholeStream, uniqueTableName } from '../helpers/dynamo.js';
import { type MotoServer, motoAvailableOrWarn, motoClientConfig, startMoto } from '../helpers/motoServer.js';
import { removeSynthOutputs, synthesise } from './helpers.js';

/**
 * The replicator as the CDK app deploys it: the esbuild bundle the app stages as the function's
 * code asset (not the TypeScript source), loaded as the Lambda runtime loads it, with the
 * environment the app sets on the function, replicating a real DynamoDB Local stream record into a
 * peer table on the other DynamoDB Local; with moto_server, its dead letters go to a real SQS
 * queue. Nothing here depends on the function's runtime or architecture.
 */

type Handler = (
  event: StreamEvent,
  context: { getRemainingTimeInMillis(): number },
) => Promise<BatchResponse>;

const SOURCE = 'eu-west-1';
const REPLICA = 'us-east-1';
const sourceTable = uniqueTableName('bundled-src');
const replicaTable = uniqueTableName('bundled-rep');
const AMOUNT = '12345678901234567890.123456789012345678';

/** What the function's code asset holds and the environment the template gives it. */
interface DeployedFunction {
  readonly entry: string;
  readonly environment: Readonly<Record<string, unknown>>;
}

const deployedReplicator = (): DeployedFunction => {
  const config = parseConfig({
    version: 1,
    name: 'bundled',
    regions: { [SOURCE]: { table: sourceTable }, [REPLICA]: { table: replicaTable } },
    topology: { type: 'one-way', from: SOURCE, to: [REPLICA] },
  });
  // Any attempt to run Docker would fail: the CDK runs the binary named by CDK_DOCKER.
  const dockerBefore = process.env.CDK_DOCKER;
  process.env.CDK_DOCKER = '/nonexistent/docker-must-not-run';
  let synth: ReturnType<typeof synthesise>;
  try {
    synth = synthesise(config, { bundle: true });
  } finally {
    if (dockerBefore === undefined) delete process.env.CDK_DOCKER;
    else process.env.CDK_DOCKER = dockerBefore;
  }
  const functions = Object.values(
    synth.templates[SOURCE]!.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { [LambdaEnv.region]: SOURCE } } },
    }),
  ) as Array<{
    Properties: {
      Handler: string;
      Code: { S3Key: string };
      Environment: { Variables: Record<string, unknown> };
    };
  }>;
  expect(functions).toHaveLength(1);
  const fn = functions[0]!.Properties;
  const [file, exported] = fn.Handler.split('.');
  expect(exported).toBe('handler');
  const asset = `asset.${fn.Code.S3Key.replace(/\.zip$/, '')}`;
  expect(readdirSync(synth.app.outdir)).toContain(asset);
  const dir = join(synth.app.outdir, asset);
  const entry = readdirSync(dir).find((name) => name === `${file}.mjs` || name === `${file}.js`);
  expect(entry).toBeDefined();
  return { entry: join(dir, entry!), environment: fn.Environment.Variables };
};

const withMoto = motoAvailableOrWarn();

describe('the bundled replicator (the CDK code asset) on DynamoDB Local', () => {
  let handler: Handler;
  let source: DynamoDBClient;
  let replica: DynamoDBClient;
  let moto: MotoServer | undefined;
  let sqs: SQSClient | undefined;
  let queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq-not-used';
  const envBefore = { ...process.env };

  beforeAll(async () => {
    const deployed = deployedReplicator();
    // The function's environment as the template sets it. The only changes: the deployed config
    // gets the DynamoDB Local endpoints (the CDK app refuses local endpoints in what it deploys),
    // and the queue URL, a CloudFormation reference, becomes a queue on moto_server (SQS calls go
    // there through AWS_ENDPOINT_URL_SQS), or a literal nothing is sent to without it.
    const config = JSON.parse(deployed.environment[LambdaEnv.config] as string) as {
      regions: Record<string, { endpoint?: string }>;
    };
    config.regions[SOURCE]!.endpoint = localEndpoint(0);
    config.regions[REPLICA]!.endpoint = localEndpoint(1);
    for (const [name, value] of Object.entries(deployed.environment)) {
      if (typeof value === 'string') process.env[name] = value;
    }
    expect(typeof deployed.environment[LambdaEnv.deadLetterQueueUrl]).toBe('object');
    if (withMoto) {
      moto = await startMoto();
      console.info(`moto_server answered after ${moto.startAttempts} GET(s), ${moto.startupMs} ms`);
      sqs = new SQSClient(motoClientConfig(moto, SOURCE));
      queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'dynasync-bundled-dlq' }))).QueueUrl!;
      process.env.AWS_ENDPOINT_URL_SQS = moto.endpoint;
    }
    Object.assign(process.env, {
      [LambdaEnv.config]: JSON.stringify(config),
      [LambdaEnv.deadLetterQueueUrl]: queueUrl,
      // What the Lambda runtime adds.
      AWS_REGION: SOURCE,
      AWS_DEFAULT_REGION: SOURCE,
      AWS_LAMBDA_FUNCTION_NAME: 'dynasync-bundled-replicator',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: 'local',
    });
    const module = (await import(pathToFileURL(deployed.entry).href)) as { handler?: Handler };
    expect(typeof module.handler).toBe('function');
    handler = module.handler!;

    source = localClient(0);
    replica = localClient(1);
    await createReplicatedTable(source, sourceTable, { partitionKey: { name: 'pk', type: 'S' } });
    // The peer's stream is never read: a stream-less table. Its index wants a number where the
    // source may hold text: such an item is refused by the peer (ValidationException).
    await replica.send(
      new CreateTableCommand({
        TableName: replicaTable,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'rank', AttributeType: 'N' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byRank',
            KeySchema: [{ AttributeName: 'rank', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });

  afterAll(async () => {
    for (const name of Object.keys(process.env)) if (!(name in envBefore)) delete process.env[name];
    Object.assign(process.env, envBefore);
    source?.destroy();
    replica?.destroy();
    sqs?.destroy();
    await moto?.stop();
    removeSynthOutputs();
  });

  const peerItem = async (pk = 'order-1') =>
    (
      await replica.send(
        new GetItemCommand({ TableName: replicaTable, Key: { pk: { S: pk } }, ConsistentRead: true }),
      )
    ).Item;

  /** The Lambda event of the stream records of one source item. */
  const eventFor = async (pk: string): Promise<StreamEvent> => {
    const records = (await readWholeStream(source, localEndpoint(0), sourceTable)).filter(
      (record) => record.dynamodb?.Keys?.pk?.S === pk,
    );
    expect(records).toHaveLength(1);
    const { Table } = await source.send(new DescribeTableCommand({ TableName: sourceTable }));
    return {
      Records: [toLambdaRecord(records[0]!, { streamArn: Table!.LatestStreamArn!, awsRegion: SOURCE })],
    };
  };
  const context = { getRemainingTimeInMillis: () => 60_000 };

  /** The EMF metric lines the bundled handler printed while `act` ran. */
  const emfDuring = async (act: () => Promise<BatchResponse>) => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const response = await act();
      const metrics = lines
        .flatMap((text) => text.split('\n'))
        .filter((line) => line.includes('"_aws"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      return { response, metrics };
    } finally {
      spy.mockRestore();
    }
  };

  it('writes the peer item from a real stream record, and a second delivery of it comes back stale', async () => {
    // Prepare: an application write at the source, and its record as Lambda delivers it.
    await source.send(
      new PutItemCommand({
        TableName: sourceTable,
        Item: { pk: { S: 'order-1' }, note: { S: 'first' }, amount: { N: AMOUNT } },
      }),
    );
    const event = await eventFor('order-1');

    // Act 1
    const first = await emfDuring(() => handler(event, context));

    // Assess 1
    expect(first.response).toEqual({ batchItemFailures: [] });
    const written = await peerItem();
    expect(written).toMatchObject({ pk: { S: 'order-1' }, note: { S: 'first' }, amount: { N: AMOUNT } });
    expect(written?._ds_v?.S).toEqual(expect.any(String));
    expect(first.metrics).toEqual([expect.objectContaining({ Records: 1, Applied: 1, Stale: 0 })]);

    // Act 2: the peer item is changed behind the replicator's back (same version), then the same
    // record is delivered again. A write would put "first" back.
    await replica.send(
      new PutItemCommand({ TableName: replicaTable, Item: { ...written!, note: { S: 'untouched' } } }),
    );
    const second = await emfDuring(() => handler(event, context));

    // Assess 2
    expect(second.response).toEqual({ batchItemFailures: [] });
    expect((await peerItem())?.note).toEqual({ S: 'untouched' });
    expect(second.metrics).toEqual([expect.objectContaining({ Records: 1, Applied: 0, Stale: 1 })]);
  });

  it.skipIf(!withMoto)(
    'dead-letters a record the peer refuses, whole, into the SQS queue, and the batch goes on',
    async () => {
      // Prepare: text where the peer's index wants a number.
      await source.send(
        new PutItemCommand({
          TableName: sourceTable,
          Item: { pk: { S: 'order-2' }, rank: { S: 'not a number' }, amount: { N: AMOUNT } },
        }),
      );
      const event = await eventFor('order-2');

      // Act
      const { response, metrics } = await emfDuring(() => handler(event, context));

      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(await peerItem('order-2')).toBeUndefined();
      expect(metrics).toEqual([expect.objectContaining({ Records: 1, Applied: 0, DeadLettered: 1 })]);
      const { Messages = [] } = await sqs!.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 900 }),
      );
      expect(Messages).toHaveLength(1);
      expect(decodeDeadLetter(Messages[0]!.Body!)).toMatchObject({
        kind: 'streamRecord',
        record: event.Records[0],
        sourceRegion: SOURCE,
        targetRegions: [REPLICA],
        error: { code: ErrorCodes.replicator.writeRejected },
      });
    },
  );
});
