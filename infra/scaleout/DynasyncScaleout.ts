import { join } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { Config } from '../../core/config/types.js';
import { ErrorCodes } from '../../core/errors.js';
import { ScaleoutWorkerEnv } from '../../tools/scaleout/workerEnv.js';
import { PROJECT_ROOT } from '../Replicator.js';
import { ESM_FUNCTION_BUNDLING } from '../replicatorCode.js';
import { workerConfigDocument } from '../resolveDeploy.js';

/** The prefix of every job object in the bucket (the worker's S3 permissions stop there). */
export const JOB_PREFIX = 'jobs/';

export { ScaleoutWorkerEnv };

/**
 * Error codes a task may fail with that are worth retrying (an outage, a worker that died). Any
 * other DynasyncError code fails the execution at once: a config mismatch does not heal by retrying.
 */
export const TRANSIENT_TASK_ERRORS = [
  'States.Timeout',
  'States.HeartbeatTimeout',
  'States.TaskFailed',
  ErrorCodes.scaleout.workerFailed,
  ErrorCodes.config.tableUnreachable,
] as const;

/** Codes that fail a task without a retry (matched before {@link TRANSIENT_TASK_ERRORS}). */
export const PERMANENT_TASK_ERRORS = [
  ErrorCodes.config.invalidField,
  ErrorCodes.config.tableMismatch,
  ErrorCodes.scaleout.invalidMessage,
  ErrorCodes.scaleout.jobNotFound,
  ErrorCodes.scaleout.invalidEnvironment,
] as const;

/** Props of {@link DynasyncScaleout}. */
export interface DynasyncScaleoutProps {
  /** The table a job reads from (`--from`). */
  readonly sourceTable: dynamodb.ITable;
  /** The table a job compares with, repairs or backfills (`--to`). */
  readonly targetTable: dynamodb.ITable;
  /** Segments (and partitions) worked on at once. @default 40 */
  readonly maxConcurrency?: number;
  /** Percentage of failed segments an execution tolerates. @default 0 */
  readonly toleratedFailurePercentage?: number;
  /** Lets workers write the target (PutItem, BatchWriteItem): `verify --repair` and `backfill`. @default false */
  readonly writes?: boolean;
  /** The key of the job bucket. @default a new key with rotation */
  readonly encryptionKey?: kms.IKey;
  /** Job objects are deleted this long after they were written. @default Duration.days(30) */
  readonly jobExpiration?: Duration;
  /** The worker function's timeout; a task gets this minus a margin before it hands back a continuation. @default Duration.minutes(15) */
  readonly workerTimeout?: Duration;
  /** @default 1769 (one full vCPU) */
  readonly workerMemorySize?: number;
  /** Workers running at once (Lambda reserved concurrency). @default unreserved */
  readonly workerConcurrency?: number;
  /** A task fails with `States.HeartbeatTimeout` when its worker has not beaten for this long. @default Duration.minutes(2) */
  readonly heartbeat?: Duration;
  /** Retries of a failed or timed-out task (backoff 2×, from 5 s). @default 4 */
  readonly maxAttempts?: number;
  /** The first retry's wait (each next one doubles, up to 5 minutes). @default Duration.seconds(5) */
  readonly retryInterval?: Duration;
  /** Folder of a prebundled worker (`index.mjs`). @default bundled from `tools/scaleout/lambdaWorker.ts` at synth */
  readonly code?: lambda.Code;
  /**
   * The dynasync config the jobs are planned with (`loadConfigFile`): the worker gets it in
   * `DYNASYNC_CONFIG` (see `workerConfigDocument`), so its config version is the CLI's and it runs
   * the target's pipeline, key hasher and DynamoDB clients as `dynasync verify` / `backfill` do.
   * Without it the worker has no config unless `environment` sets `DYNASYNC_CONFIG`, and each task
   * fails with `scaleout.invalidEnvironment`.
   * @default none
   */
  readonly config?: Config;
  /** Extra environment of the worker. @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** The props' defaults, checked. */
interface ScaleoutSettings {
  readonly maxConcurrency: number;
  readonly tolerated: number;
  readonly removalPolicy: RemovalPolicy;
  readonly workerTimeout: Duration;
}

/*
 * The state machine (one execution = one job; input: ExecutionInput):
 *
 *   Segments (Distributed Map over $.segments, item = { jobId, segment })
 *   │  Scan ──► SegmentDone? ──done──► SegmentEnd { segment }
 *   │             ▲     └─not done─► Continue { jobId, segment, continuation } ──► ScanMore ─┐
 *   │             └──────────────────────────────────────────────────────────────────────────┘
 *   ▼
 *   HasPartitions? ──yes──► Partitions (Distributed Map over $.partitions: Compare) ──► Settle
 *                  └─no────────────────────────────────────────────────────────────────► Settle
 *
 * Every task is `sqs:sendMessage.waitForTaskToken` with a TaskMessage; a worker answers with
 * SendTaskSuccess (the task's result) or SendTaskFailure (its DynasyncError code).
 */

/**
 * The scale-out engine of `verify --engine stepfunctions` and `backfill --engine stepfunctions`: a
 * Step Functions state machine whose Distributed Map sends one task per segment through an SQS queue
 * to worker Lambdas (nodejs24.x, arm64), and a KMS-encrypted job bucket that expires by lifecycle.
 * @example
 * new DynasyncScaleout(stack, 'Scaleout', {
 *   sourceTable: dynamodb.Table.fromTableArn(stack, 'Source', sourceArn),
 *   targetTable: dynamodb.Table.fromTableArn(stack, 'Target', targetArn),
 *   maxConcurrency: 100,
 * });
 */
export class DynasyncScaleout extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly queue: sqs.Queue;
  public readonly bucket: s3.Bucket;
  public readonly key: kms.IKey;
  public readonly worker: lambda.Function;
  public readonly workerRole: iam.Role;

  public constructor(scope: Construct, id: string, props: DynasyncScaleoutProps) {
    super(scope, id);
    const settings = this.validate(props);
    const { removalPolicy, workerTimeout } = settings;
    this.key =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        enableKeyRotation: true,
        removalPolicy,
        description: 'dynasync scale-out job bucket',
      });
    this.bucket = this.createBucket(props, removalPolicy);
    this.queue = this.createQueues(removalPolicy, workerTimeout);
    this.workerRole = new iam.Role(this, 'WorkerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'dynasync scale-out worker',
    });
    this.worker = this.createWorker(props, removalPolicy, workerTimeout);
    this.grantWorker(props);
    this.stateMachine = this.createStateMachine(props, settings);
    this.stateMachine.grantTaskResponse(this.workerRole);
    this.acknowledgeFindings();
    this.addOutputs();
  }

  /** The props' defaults, checked eagerly. */
  private validate(props: DynasyncScaleoutProps): ScaleoutSettings {
    const maxConcurrency = props.maxConcurrency ?? 40;
    const tolerated = props.toleratedFailurePercentage ?? 0;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 10_000)
      throw new Error(
        `DynasyncScaleout ${this.node.path}: maxConcurrency ${maxConcurrency} must be an integer from 1 to 10000`,
      );
    if (!(tolerated >= 0 && tolerated <= 100))
      throw new Error(
        `DynasyncScaleout ${this.node.path}: toleratedFailurePercentage ${tolerated} must be from 0 to 100`,
      );
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const workerTimeout = props.workerTimeout ?? Duration.minutes(15);
    if (workerTimeout.toSeconds() > 900 || workerTimeout.toSeconds() < 60)
      throw new Error(`DynasyncScaleout ${this.node.path}: workerTimeout must be from 1 to 15 minutes`);
    return { maxConcurrency, tolerated, removalPolicy, workerTimeout };
  }

  /** The job bucket: SSE-KMS under {@link key}, TLS only, objects under `jobs/` expire. */
  private createBucket(props: DynasyncScaleoutProps, removalPolicy: RemovalPolicy): s3.Bucket {
    const bucket = new s3.Bucket(this, 'Jobs', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      versioned: false,
      lifecycleRules: [
        {
          prefix: JOB_PREFIX,
          expiration: props.jobExpiration ?? Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The job bucket holds short-lived, KMS-encrypted work objects of dynasync jobs that expire by lifecycle; ' +
        'every access is by the worker role and the operator, recorded by CloudTrail; access logs would outlive the data.',
    });
    return bucket;
  }

  /** The task queue and its dead-letter queue. */
  private createQueues(removalPolicy: RemovalPolicy, workerTimeout: Duration): sqs.Queue {
    const deadLetters = new sqs.Queue(this, 'TaskDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the task queue; a task message lands here only after its ' +
        'token has timed out in the execution, which retries the task with a new message.',
    });
    // Visibility above the function's timeout: a running task's message stays hidden from other workers.
    return new sqs.Queue(this, 'Tasks', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(workerTimeout.toSeconds() + 60),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
      removalPolicy,
    });
  }

  /** The worker function (bundled from `lambdaWorker.ts`, or `props.code`) on the task queue. */
  private createWorker(
    props: DynasyncScaleoutProps,
    removalPolicy: RemovalPolicy,
    workerTimeout: Duration,
  ): lambda.Function {
    const logGroup = new logs.LogGroup(this, 'WorkerLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    logGroup.grantWrite(this.workerRole);
    const functionProps = {
      description: 'dynasync scale-out worker: runs the segment, partition and settle tasks of a job',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.workerMemorySize ?? 1769,
      timeout: workerTimeout,
      role: this.workerRole,
      logGroup,
      ...(props.workerConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.workerConcurrency }),
      environment: {
        ...props.environment,
        ...this.configEnvironment(props),
        [ScaleoutWorkerEnv.bucket]: this.bucket.bucketName,
        [ScaleoutWorkerEnv.keyArn]: this.key.keyArn,
      },
    } satisfies Partial<lambda.FunctionProps>;
    const worker =
      props.code !== undefined
        ? new lambda.Function(this, 'Worker', {
            ...functionProps,
            handler: 'index.handler',
            code: props.code,
          })
        : new nodejs.NodejsFunction(this, 'Worker', {
            ...functionProps,
            entry: join(PROJECT_ROOT, 'tools', 'scaleout', 'lambdaWorker.ts'),
            handler: 'handler',
            projectRoot: PROJECT_ROOT,
            depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
            bundling: ESM_FUNCTION_BUNDLING,
          });
    worker.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true }));
    return worker;
  }

  /** `DYNASYNC_CONFIG` of the `config` prop (none without it). */
  private configEnvironment(props: DynasyncScaleoutProps): Record<string, string> {
    if (props.config === undefined) return {};
    if (props.environment?.[ScaleoutWorkerEnv.config] !== undefined)
      throw new Error(
        `DynasyncScaleout ${this.node.path}: give the config either as the config prop or as environment.${ScaleoutWorkerEnv.config}, not both`,
      );
    try {
      return { [ScaleoutWorkerEnv.config]: workerConfigDocument(props.config) };
    } catch (error) {
      throw new Error(`DynasyncScaleout ${this.node.path}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The worker role: the tables (writes only with `writes`), `jobs/` of the bucket and its key. */
  private grantWorker(props: DynasyncScaleoutProps): void {
    // Tables: read (and write the target only when asked); nothing else.
    props.sourceTable.grant(this.workerRole, 'dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:BatchGetItem');
    props.targetTable.grant(this.workerRole, 'dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:BatchGetItem');
    // A task describes both tables first (key schema, TTL attribute), as the CLI does.
    for (const table of [props.sourceTable, props.targetTable])
      table.grant(this.workerRole, 'dynamodb:DescribeTable', 'dynamodb:DescribeTimeToLive');
    if (props.writes === true)
      props.targetTable.grant(this.workerRole, 'dynamodb:PutItem', 'dynamodb:BatchWriteItem');
    // The bucket: objects under jobs/ only, and the key for them.
    this.workerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [this.bucket.arnForObjects(`${JOB_PREFIX}*`)],
      }),
    );
    this.workerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${JOB_PREFIX}*`] } },
      }),
    );
    this.workerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [this.key.keyArn],
      }),
    );
  }

  private createStateMachine(props: DynasyncScaleoutProps, settings: ScaleoutSettings): sfn.StateMachine {
    const { maxConcurrency, tolerated, workerTimeout, removalPolicy } = settings;
    return new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(
        this.definition(props, maxConcurrency, tolerated, workerTimeout),
      ),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'StateMachineLogs', {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy,
        }),
        level: sfn.LogLevel.ALL,
        // Task inputs carry continuations (a table's LastEvaluatedKey: a clear key): never logged.
        includeExecutionData: false,
      },
    });
  }

  /** The cdk-nag findings this construct answers, each with its reason. */
  private acknowledgeFindings(): void {
    const defaultPolicy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy !== undefined) {
      Validations.of(defaultPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing and CloudWatch Logs delivery of a state machine (xray:PutTraceSegments, logs:CreateLogDelivery ' +
          'and the like) support no resource-level permissions, so AWS documents "*" as their only resource.',
      });
    }
    const mapPolicy = this.stateMachine.node.tryFindChild('DistributedMapPolicy');
    if (mapPolicy !== undefined) {
      // How cdk-nag names the resources CDK gives a Distributed Map (its own child executions).
      const stack = Stack.of(this);
      const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
      const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
      const name = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stack.getLogicalId(this.stateMachine.node.defaultChild as sfn.CfnStateMachine)}"}]}]}`;
      for (const suffix of [':*', '/*:*'])
        Validations.of(mapPolicy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:${name}${suffix}]`,
          reason:
            'A Distributed Map runs each item as a child execution of this state machine and must describe and stop ' +
            'them; CDK scopes the grant to the executions of this one state machine, whose names are chosen at run time.',
        });
    }
    const workerPolicy = this.workerRole.node.tryFindChild('DefaultPolicy');
    if (workerPolicy !== undefined) {
      Validations.of(workerPolicy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/jobs/*]`,
        reason:
          'The worker reads and writes the objects of jobs under the jobs/ prefix of its own bucket only; the job ids ' +
          'are chosen at run time, so the prefix is the narrowest resource there is.',
      });
    }
  }

  private addOutputs(): void {
    new CfnOutput(this, 'StateMachineArn', {
      value: this.stateMachine.stateMachineArn,
      description: 'dynasync verify/backfill --state-machine-arn',
    });
    new CfnOutput(this, 'QueueUrl', {
      value: this.queue.queueUrl,
      description: 'dynasync worker --queue-url',
    });
    new CfnOutput(this, 'JobBucket', {
      value: this.bucket.bucketName,
      description: 'dynasync verify/backfill --job-bucket',
    });
  }

  private task(
    id: string,
    task: Record<string, unknown>,
    props: DynasyncScaleoutProps,
    workerTimeout: Duration,
    resultPath?: string,
  ) {
    const send = new tasks.SqsSendMessage(this, id, {
      queue: this.queue,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      messageBody: sfn.TaskInput.fromObject({ taskToken: sfn.JsonPath.taskToken, task }),
      ...(resultPath === undefined ? {} : { resultPath }),
      heartbeatTimeout: sfn.Timeout.duration(props.heartbeat ?? Duration.minutes(2)),
      // A task runs at most one worker invocation; a little more for the queue and the answer.
      taskTimeout: sfn.Timeout.duration(Duration.seconds(workerTimeout.toSeconds() + 300)),
    });
    send.addRetry({ errors: [...PERMANENT_TASK_ERRORS], maxAttempts: 0 });
    send.addRetry({
      errors: [...TRANSIENT_TASK_ERRORS],
      interval: props.retryInterval ?? Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: props.maxAttempts ?? 4,
      maxDelay: Duration.minutes(5),
    });
    return send;
  }

  private definition(
    props: DynasyncScaleoutProps,
    maxConcurrency: number,
    tolerated: number,
    workerTimeout: Duration,
  ) {
    const scanTask = (continuation: boolean) => ({
      kind: 'scanSegment',
      jobId: sfn.JsonPath.stringAt('$.jobId'),
      segment: sfn.JsonPath.numberAt('$.segment'),
      ...(continuation ? { continuation: sfn.JsonPath.objectAt('$.continuation') } : {}),
    });
    const scan = this.task('Scan', scanTask(false), props, workerTimeout, '$.result');
    const scanMore = this.task('ScanMore', scanTask(true), props, workerTimeout, '$.result');
    const carryOn = new sfn.Pass(this, 'Continue', {
      parameters: {
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        segment: sfn.JsonPath.numberAt('$.segment'),
        continuation: sfn.JsonPath.objectAt('$.result.continuation'),
      },
    });
    const segmentEnd = new sfn.Pass(this, 'SegmentEnd', {
      parameters: { segment: sfn.JsonPath.numberAt('$.segment') },
    });
    const segmentDone = new sfn.Choice(this, 'SegmentDone')
      .when(sfn.Condition.booleanEquals('$.result.done', false), carryOn.next(scanMore))
      .otherwise(segmentEnd);
    scanMore.next(segmentDone);

    const segments = new sfn.DistributedMap(this, 'Segments', {
      itemsPath: '$.segments',
      maxConcurrency,
      toleratedFailurePercentage: tolerated,
      itemSelector: {
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        segment: sfn.JsonPath.numberAt('$$.Map.Item.Value'),
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    segments.itemProcessor(scan.next(segmentDone));

    const compare = this.task(
      'Compare',
      {
        kind: 'comparePartition',
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        partition: sfn.JsonPath.numberAt('$.partition'),
      },
      props,
      workerTimeout,
      '$.result',
    );
    const partitions = new sfn.DistributedMap(this, 'Partitions', {
      itemsPath: '$.partitions',
      maxConcurrency,
      toleratedFailurePercentage: tolerated,
      itemSelector: {
        jobId: sfn.JsonPath.stringAt('$.jobId'),
        partition: sfn.JsonPath.numberAt('$$.Map.Item.Value'),
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    partitions.itemProcessor(
      compare.next(
        new sfn.Pass(this, 'PartitionEnd', {
          parameters: { partition: sfn.JsonPath.numberAt('$.partition') },
        }),
      ),
    );

    const settle = this.task(
      'Settle',
      { kind: 'settle', jobId: sfn.JsonPath.stringAt('$.jobId') },
      props,
      workerTimeout,
    );
    return segments.next(
      new sfn.Choice(this, 'HasPartitions')
        .when(sfn.Condition.isPresent('$.partitions[0]'), partitions.next(settle))
        .otherwise(settle),
    );
  }
}
