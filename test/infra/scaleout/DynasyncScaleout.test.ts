import { createRequire } from 'node:module';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { scaleoutStack, stateMachineDefinition, taskQueueLogicalId } from '../../helpers/scaleoutStack.js';

const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errors: unknown[];
};

const definitionOf = (synth: ReturnType<typeof scaleoutStack>) =>
  stateMachineDefinition(synth.template, {
    [taskQueueLogicalId(synth)]: 'https://sqs.eu-west-1.amazonaws.com/111111111111/tasks',
    'AWS::Partition': 'aws',
    'AWS::Region': 'eu-west-1',
    'AWS::AccountId': '111111111111',
  }) as { StartAt: string; States: Record<string, Record<string, unknown>> };

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
const statementsOf = (synth: ReturnType<typeof scaleoutStack>, roleId: string): Statement[] =>
  Object.values(synth.template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
const actionsOf = (statements: Statement[]) =>
  [...new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();

describe('DynasyncScaleout', () => {
  const synth = scaleoutStack();
  const workerRoleId = synth.stack.getLogicalId(synth.scaleout.workerRole.node.defaultChild as never);
  const machineRoleId = synth.stack.getLogicalId(synth.scaleout.stateMachine.role.node.defaultChild as never);

  it('synthesises a state machine definition that asl-validator accepts', () => {
    const result = aslValidator(definitionOf(synth));
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('maps segments, loops on continuations, then compares partitions only when there are some, then settles', () => {
    const definition = definitionOf(synth);
    const segments = definition.States[definition.StartAt]!;
    expect(segments).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.segments',
      MaxConcurrency: 40,
      ResultPath: null,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
    });
    const inner = (
      segments.ItemProcessor as { StartAt: string; States: Record<string, Record<string, unknown>> }
    ).States;
    const scan = inner.Scan!;
    expect(scan.Resource).toBe('arn:aws:states:::sqs:sendMessage.waitForTaskToken');
    expect(scan.Parameters).toMatchObject({
      MessageBody: {
        'taskToken.$': '$$.Task.Token',
        task: { kind: 'scanSegment', 'jobId.$': '$.jobId', 'segment.$': '$.segment' },
      },
    });
    expect(scan.HeartbeatSeconds).toBe(120);
    expect(scan.TimeoutSeconds).toBe(1200);
    expect(scan.Retry).toEqual([
      {
        ErrorEquals: [
          'config.invalidField',
          'config.tableMismatch',
          'scaleout.invalidMessage',
          'scaleout.jobNotFound',
          'scaleout.invalidEnvironment',
        ],
        MaxAttempts: 0,
      },
      expect.objectContaining({
        ErrorEquals: expect.arrayContaining(['States.TaskFailed', 'States.Timeout', 'scaleout.workerFailed']),
        BackoffRate: 2,
        MaxAttempts: 4,
      }),
    ]);
    expect(inner.SegmentDone).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.result.done', BooleanEquals: false, Next: 'Continue' }],
      Default: 'SegmentEnd',
    });
    expect(inner.ScanMore!.Parameters).toMatchObject({
      MessageBody: { task: { 'continuation.$': '$.continuation' } },
    });
    expect(inner.ScanMore!.Next).toBe('SegmentDone');
    expect(definition.States[segments.Next as string]).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.partitions[0]', IsPresent: true, Next: 'Partitions' }],
      Default: 'Settle',
    });
    expect(definition.States.Partitions).toMatchObject({
      ItemsPath: '$.partitions',
      ResultPath: null,
      Next: 'Settle',
    });
    expect(definition.States.Settle).toMatchObject({ End: true });
  });

  it('takes the concurrency and the tolerated failures from its props', () => {
    const definition = definitionOf(scaleoutStack({ maxConcurrency: 7, toleratedFailurePercentage: 5 }));
    expect(definition.States.Segments).toMatchObject({ MaxConcurrency: 7, ToleratedFailurePercentage: 5 });
    expect(() => scaleoutStack({ maxConcurrency: 0 })).toThrow(/maxConcurrency/);
  });

  it('keeps job objects in a KMS-encrypted, private, expiring, unversioned bucket', () => {
    synth.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Prefix: 'jobs/', ExpirationInDays: 30, Status: 'Enabled' })],
      },
      VersioningConfiguration: Match.absent(),
    });
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('runs the worker on nodejs24.x arm64 from the queue, one message at a time, hidden longer than it runs', () => {
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 900,
    });
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    synth.template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 960 });
  });

  it('gives the worker reads on the two tables, jobs/ in the bucket, the key and task answers; no writes by default', () => {
    const statements = statementsOf(synth, workerRoleId);
    expect(actionsOf(statements)).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:DescribeTable',
        'dynamodb:DescribeTimeToLive',
        'dynamodb:GetItem',
        'dynamodb:Scan',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
        'states:SendTaskFailure',
        'states:SendTaskHeartbeat',
        'states:SendTaskSuccess',
      ].sort(),
    );
    const tableResources = JSON.stringify(
      statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb')),
    );
    expect(tableResources).toContain('table/orders');
    expect(tableResources).toContain('table/orders-us');
    expect(
      JSON.stringify(
        statements.find(
          (s) => s.Action === 's3:ListBucket' || JSON.stringify(s.Action).includes('ListBucket'),
        ),
      ),
    ).toContain('jobs/*');
  });

  it('lets the worker write the target only when writes are enabled', () => {
    const writer = scaleoutStack({ writes: true });
    const statements = statementsOf(
      writer,
      writer.stack.getLogicalId(writer.scaleout.workerRole.node.defaultChild as never),
    );
    const writes = statements.filter((s) => JSON.stringify(s.Action).includes('PutItem'));
    expect(actionsOf(writes)).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:PutItem']);
    expect(JSON.stringify(writes)).toContain('table/orders-us');
    expect(JSON.stringify(writes)).not.toMatch(/table\/orders"/);
  });

  it('lets the state machine send to the task queue and nothing else of SQS', () => {
    const statements = statementsOf(synth, machineRoleId);
    const sqsStatements = statements.filter((s) => JSON.stringify(s.Action).includes('sqs:'));
    expect(actionsOf(sqsStatements)).toEqual(['sqs:SendMessage']);
    expect(JSON.stringify(sqsStatements.map((s) => s.Resource))).toContain(taskQueueLogicalId(synth));
  });

  it('outputs the state machine ARN, the queue URL and the bucket', () => {
    const outputs = Object.values(synth.template.findOutputs('*')).map((output) =>
      JSON.stringify(output.Value),
    );
    expect(outputs).toHaveLength(3);
  });

  it('finds nothing unacknowledged with cdk-nag (AwsSolutions)', () => {
    const fresh = scaleoutStack();
    const report = new AwsSolutionsChecks(fresh.app).validateScope(fresh.app);
    expect(
      report.violations.map(
        (violation) =>
          `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });
});
