import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynasyncScaleout, type DynasyncScaleoutProps } from '../../infra/scaleout/DynasyncScaleout.js';
import { type MotoServer, motoClientConfig } from './motoServer.js';

/** A synthesised test stack holding one {@link DynasyncScaleout} over two imported tables. */
export interface ScaleoutStack {
  readonly app: App;
  readonly stack: Stack;
  readonly scaleout: DynasyncScaleout;
  readonly template: Template;
}

/**
 * Synthesises `DynasyncScaleout` in a stack of account 111111111111, eu-west-1, over tables `orders`
 * (eu-west-1) and `orders-us` (us-east-1). The worker's code is a one-line inline stand-in so the
 * template tests need no bundling; `overrides` replace props.
 */
export const scaleoutStack = (overrides: Partial<DynasyncScaleoutProps> = {}): ScaleoutStack => {
  const app = new App();
  const stack = new Stack(app, 'Scaleout', { env: { account: '111111111111', region: 'eu-west-1' } });
  const scaleout = new DynasyncScaleout(stack, 'Scaleout', {
    sourceTable: dynamodb.Table.fromTableArn(
      stack,
      'Source',
      'arn:aws:dynamodb:eu-west-1:111111111111:table/orders',
    ),
    targetTable: dynamodb.Table.fromTableArn(
      stack,
      'Target',
      'arn:aws:dynamodb:us-east-1:111111111111:table/orders-us',
    ),
    code: lambda.Code.fromInline('export const handler = async () => ({ batchItemFailures: [] });'),
    ...overrides,
  });
  return { app, stack, scaleout, template: Template.fromStack(stack) };
};

type Cfn = string | { Ref: string } | { 'Fn::Join': [string, Cfn[]] } | Record<string, unknown>;

/**
 * The state machine's definition from the template, as ASL JSON. Its `Fn::Join` parts are resolved
 * with `refs` (logical id or pseudo parameter → value); anything else unresolved throws, so a new
 * reference in the definition shows up here.
 *
 * The one documented resource swap: the task queue's `Ref` (its URL) becomes the URL of a queue
 * created in moto_server. `AWS::Partition` etc. are pseudo parameters, not resources.
 */
export const stateMachineDefinition = (
  template: Template,
  refs: Readonly<Record<string, string>>,
): unknown => {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const definition = (machines[0] as { Properties: { DefinitionString: Cfn } }).Properties.DefinitionString;
  const resolve = (part: Cfn): string => {
    if (typeof part === 'string') return part;
    if ('Ref' in part && typeof part.Ref === 'string') {
      const value = refs[part.Ref];
      if (value === undefined) throw new Error(`no substitution for Ref ${part.Ref}`);
      return value;
    }
    if ('Fn::Join' in part) {
      const [separator, parts] = part['Fn::Join'] as [string, Cfn[]];
      return parts.map(resolve).join(separator);
    }
    throw new Error(`cannot resolve ${JSON.stringify(part)}`);
  };
  return JSON.parse(resolve(definition));
};

/** The logical id of the construct's task queue (the one resource a moto test swaps). */
export const taskQueueLogicalId = ({ stack, scaleout }: ScaleoutStack): string =>
  stack.getLogicalId(scaleout.queue.node.defaultChild as import('aws-cdk-lib').CfnElement);

/** The construct's state machine, created in a moto_server that executes it, with its queue and job bucket. */
export interface MotoScaleout {
  readonly sfn: SFNClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly queueUrl: string;
  readonly stateMachineArn: string;
  /** The job bucket (created only when {@link deployToMoto} was asked for one). */
  readonly bucket: string;
}

/**
 * Turns on moto_server's execution of state machines, creates the task queue (and, unless
 * `bucket: false`, the job bucket) and the state machine synthesised by {@link scaleoutStack} with
 * `props`, with the one documented resource swap (the queue's URL) and moto's pseudo parameters.
 */
export const deployToMoto = async (
  moto: Pick<MotoServer, 'endpoint'>,
  options: { readonly props?: Partial<DynasyncScaleoutProps>; readonly bucket?: string | false } = {},
): Promise<MotoScaleout> => {
  const clientConfig = motoClientConfig(moto);
  const enabled = await fetch(`${moto.endpoint}/moto-api/config`, {
    method: 'POST',
    body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
  });
  if (!enabled.ok) throw new Error(`moto_server refused its config: HTTP ${enabled.status}`);
  const sfn = new SFNClient(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const bucket = options.bucket === false ? '' : (options.bucket ?? 'jobs');
  if (bucket !== '')
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'tasks' }))).QueueUrl;
  if (queueUrl === undefined) throw new Error('moto_server created no queue');
  const synth = scaleoutStack(options.props);
  const definition = stateMachineDefinition(synth.template, {
    [taskQueueLogicalId(synth)]: queueUrl,
    'AWS::Partition': 'aws',
    'AWS::Region': 'eu-west-1',
    'AWS::AccountId': '123456789012',
  });
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({
      name: 'dynasync-scaleout',
      definition: JSON.stringify(definition),
      roleArn: 'arn:aws:iam::123456789012:role/dynasync-scaleout',
    }),
  );
  if (stateMachineArn === undefined) throw new Error('moto_server created no state machine');
  return { sfn, sqs, s3, queueUrl, stateMachineArn, bucket };
};
