import { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { addDynasyncStacks } from '../../infra/addDynasyncStacks.js';
import { LambdaEnv } from '../../infra/constants.js';
import {
  iamStatements,
  removeSynthOutputs,
  type SynthesisedApp,
  synthesise,
  testConfig,
  wildcardStatements,
} from './helpers.js';

afterAll(removeSynthOutputs);

const statementsOf = (template: Template, logicalIdPrefix: string) =>
  iamStatements(template)
    .filter((found) => found.logicalId.startsWith(logicalIdPrefix))
    .map((found) => found.statement);

const STREAM_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2024-05-01T10:00:00.000';

describe('imported tables', () => {
  let lookedUp: SynthesisedApp;
  let given: SynthesisedApp;

  beforeAll(() => {
    lookedUp = synthesise(testConfig({ deploy: { maskingKeys: false } }));
    given = synthesise(
      testConfig({ deploy: { maskingKeys: false, regions: { 'eu-west-1': { streamArn: STREAM_ARN } } } }),
    );
  });

  it('creates no table and changes nothing about the existing one', () => {
    for (const template of Object.values(lookedUp.templates))
      template.resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  it('looks the stream ARN up at deploy time (DescribeTable, this table only), never at synthesis', () => {
    const eu = lookedUp.templates['eu-west-1']!;
    eu.hasResourceProperties('Custom::AWS', {
      Create: Match.serializedJson(
        Match.objectLike({
          service: 'DynamoDB',
          action: 'describeTable',
          parameters: { TableName: 'orders' },
          outputPaths: ['Table.LatestStreamArn'],
        }),
      ),
    });
    expect(statementsOf(eu, 'TableStreamLookup')).toContainEqual({
      Effect: 'Allow',
      Action: 'dynamodb:DescribeTable',
      Resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':dynamodb:eu-west-1:',
            { Ref: 'AWS::AccountId' },
            ':table/orders',
          ],
        ],
      },
    });
    const lookup = Object.keys(eu.findResources('Custom::AWS'))[0]!;
    eu.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [lookup, 'Table.LatestStreamArn'] },
    });
    expect(statementsOf(eu, 'ReplicatorRole')).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining(['dynamodb:GetRecords']),
        Resource: { 'Fn::GetAtt': [lookup, 'Table.LatestStreamArn'] },
      }),
    );
  });

  it('writes the peer table by its own name in its region', () => {
    expect(statementsOf(lookedUp.templates['eu-west-1']!, 'ReplicatorRole')).toContainEqual({
      Effect: 'Allow',
      Action: 'dynamodb:PutItem',
      Resource: [
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':dynamodb:us-east-1:',
              { Ref: 'AWS::AccountId' },
              ':table/orders-us',
            ],
          ],
        },
      ],
    });
  });

  it('uses deploy.regions.<name>.streamArn when given, with no lookup', () => {
    const eu = given.templates['eu-west-1']!;
    eu.resourceCountIs('Custom::AWS', 0);
    eu.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: STREAM_ARN });
    expect(statementsOf(eu, 'ReplicatorRole')).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining(['dynamodb:DescribeStream']),
        Resource: STREAM_ARN,
      }),
    );
  });

  it('keeps wildcard resources out of every DynamoDB, SQS and KMS statement, the lookup included', () => {
    for (const synth of [lookedUp, given])
      for (const template of Object.values(synth.templates)) expect(wildcardStatements(template)).toEqual([]);
  });
});

describe('one-way eu-west-1 -> us-east-1 with the KMS primary in the replica region', () => {
  let synth: SynthesisedApp;

  beforeAll(() => {
    synth = synthesise(
      testConfig({
        topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
        deploy: {
          kmsPrimaryRegion: 'us-east-1',
          table: {
            mode: 'create',
            partitionKey: { name: 'id', type: 'N' },
            sortKey: { name: 'at', type: 'S' },
          },
        },
      }),
    );
  });

  it('deploys the KMS primary region first', () => {
    expect(synth.order).toEqual(['dynasync-orders-us-east-1', 'dynasync-orders-eu-west-1']);
    expect(synth.stacks['eu-west-1']!.dependencies).toContain(synth.stacks['us-east-1']);
  });

  it('puts no replicator in the replica region: table and key only', () => {
    const us = synth.templates['us-east-1']!;
    for (const type of ['AWS::Lambda::EventSourceMapping', 'AWS::SQS::Queue', 'AWS::CloudWatch::Alarm']) {
      us.resourceCountIs(type, 0);
    }
    us.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'orders-us',
      KeySchema: [
        { AttributeName: 'id', KeyType: 'HASH' },
        { AttributeName: 'at', KeyType: 'RANGE' },
      ],
    });
    us.hasResourceProperties('AWS::KMS::Key', { MultiRegion: true });
    synth.templates['eu-west-1']!.resourceCountIs('AWS::KMS::ReplicaKey', 1);
  });

  it('lets the source write only the replica table', () => {
    const puts = statementsOf(synth.templates['eu-west-1']!, 'ReplicatorRole').filter(
      (statement) => statement.Action === 'dynamodb:PutItem',
    );
    expect(JSON.stringify(puts)).toContain(':table/orders-us');
    expect(puts).toHaveLength(1);
  });
});

describe('cross-account peers', () => {
  let synth: SynthesisedApp;
  const euRole = 'arn:aws:iam::111111111111:role/dynasync-orders-writer';
  const usRole = 'arn:aws:iam::222222222222:role/dynasync-orders-writer';

  beforeAll(() => {
    synth = synthesise(
      testConfig({
        deploy: {
          maskingKeys: false,
          regions: {
            'eu-west-1': { account: '111111111111', writerRoleArn: euRole },
            'us-east-1': { account: '222222222222', writerRoleArn: usRole },
          },
        },
      }),
    );
  });

  it('deploys each stack into its account', () => {
    expect(synth.stacks['eu-west-1']!.account).toBe('111111111111');
    expect(synth.stacks['us-east-1']!.account).toBe('222222222222');
  });

  it('lets the replicator assume the peer writer role instead of writing the peer table', () => {
    const eu = synth.templates['eu-west-1']!;
    const statements = statementsOf(eu, 'ReplicatorRole');
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: usRole });
    expect(statements.some((statement) => statement.Action === 'dynamodb:PutItem')).toBe(false);
    eu.hasResourceProperties('AWS::IAM::Role', { RoleName: 'dynasync-orders-eu-west-1-replicator' });
    eu.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [LambdaEnv.peerRoles]: JSON.stringify({ 'us-east-1': usRole }) }),
      },
    });
  });

  it("creates the writer role in the peer's account: PutItem on its table, assumable only by the named replicator", () => {
    const us = synth.templates['us-east-1']!;
    us.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'dynasync-orders-writer',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: {
              AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] },
            },
            Condition: {
              ArnEquals: {
                'aws:PrincipalArn': [
                  {
                    'Fn::Join': [
                      '',
                      [
                        'arn:',
                        { Ref: 'AWS::Partition' },
                        ':iam::111111111111:role/dynasync-orders-eu-west-1-replicator',
                      ],
                    ],
                  },
                ],
              },
            },
          },
        ],
      },
    });
    expect(statementsOf(us, 'WriterRole')).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: [
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:us-east-1:222222222222:table/orders-us'],
            ],
          },
        ],
      },
    ]);
  });

  it('keeps wildcard resources out of DynamoDB, SQS and KMS statements', () => {
    for (const template of Object.values(synth.templates)) expect(wildcardStatements(template)).toEqual([]);
  });
});

describe('tuned settings', () => {
  let synth: SynthesisedApp;
  const topic = 'arn:aws:sns:eu-west-1:123456789012:oncall';

  beforeAll(() => {
    synth = synthesise(
      testConfig({
        deploy: {
          table: { mode: 'create', partitionKey: { name: 'pk', type: 'S' } },
          maskingKeys: false,
          removalPolicy: 'destroy',
          lambda: { memoryMb: 1024, timeoutSeconds: 120, logRetentionDays: 90 },
          eventSource: {
            batchSize: 500,
            maxBatchingWindowSeconds: 5,
            parallelizationFactor: 4,
            startingPosition: 'LATEST',
            bisectBatchOnError: false,
            retryAttempts: 10,
            maxRecordAgeSeconds: 3_600,
          },
          alarms: { iteratorAgeMs: 5_000, replicationLagMs: 2_000, periodSeconds: 300, evaluationPeriods: 3 },
          regions: { 'eu-west-1': { alarmTopicArn: topic } },
        },
      }),
    );
  });

  it('maps every event source setting of the config onto the mapping', () => {
    synth.templates['eu-west-1']!.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 5,
      ParallelizationFactor: 4,
      StartingPosition: 'LATEST',
      BisectBatchOnFunctionError: false,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 3_600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('sizes the function and its logs from the config', () => {
    const eu = synth.templates['eu-west-1']!;
    eu.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 1024, Timeout: 120 });
    eu.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('uses the alarm thresholds and notifies the topic of the region, when it has one', () => {
    const eu = synth.templates['eu-west-1']!;
    eu.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ReplicationLagMs',
      Threshold: 2_000,
      Period: 300,
      EvaluationPeriods: 3,
      AlarmActions: [topic],
      OKActions: [topic],
    });
    eu.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'IteratorAge', Threshold: 5_000 });
    synth.templates['us-east-1']!.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: Match.absent(),
    });
  });

  it('destroys created resources with the stack, but the table keeps deletion protection', () => {
    const eu = synth.templates['eu-west-1']!;
    eu.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    eu.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Delete' });
  });

  it('makes no masking keys and no cross-region references when deploy.maskingKeys is false', () => {
    for (const template of Object.values(synth.templates)) {
      template.resourceCountIs('AWS::KMS::ReplicaKey', 0);
      template.resourceCountIs('Custom::DynasyncTokenKey', 0);
      template.resourceCountIs('Custom::CrossRegionExportWriter', 0);
      template.resourceCountIs('AWS::KMS::Key', 1); // the dead-letter queue's
    }
    expect(synth.stacks['us-east-1']!.dependencies).toEqual([]);
  });
});

describe('eager validation', () => {
  const codeOf = (build: () => unknown): { code: string; path: unknown } => {
    try {
      build();
    } catch (error) {
      expect(error).toBeInstanceOf(DynasyncError);
      return { code: (error as DynasyncError).code, path: (error as DynasyncError).payload.path };
    }
    return expect.fail('expected an error');
  };
  const app = () => new App({ builtinCloudFormationValidation: false });

  it('refuses a local endpoint the deployed function could not reach, naming the field', () => {
    const config = testConfig({
      regions: {
        'eu-west-1': { table: 'orders' },
        'us-east-1': { table: 'orders', endpoint: 'http://127.0.0.1:8001' },
      },
    });
    expect(codeOf(() => addDynasyncStacks(app(), config))).toEqual({
      code: ErrorCodes.config.invalidField,
      path: 'regions.us-east-1.endpoint',
    });
  });

  it('refuses masking keys when two config regions share one AWS region (a replica needs another region)', () => {
    const regions = {
      blue: { table: 'orders-blue', awsRegion: 'eu-west-1' },
      green: { table: 'orders-green', awsRegion: 'eu-west-1' },
    };
    expect(codeOf(() => addDynasyncStacks(app(), testConfig({ regions })))).toEqual({
      code: ErrorCodes.config.invalidField,
      path: 'deploy.maskingKeys',
    });
    const stacks = addDynasyncStacks(app(), testConfig({ regions, deploy: { maskingKeys: false } }));
    expect(stacks.map((stack) => [stack.stackName, stack.region])).toEqual([
      ['dynasync-orders-blue', 'eu-west-1'],
      ['dynasync-orders-green', 'eu-west-1'],
    ]);
  });

  it("refuses a config too large for the function's 4 KB environment, before anything deploys", () => {
    const regions = Object.fromEntries(
      Array.from({ length: 20 }, (_, index) => [
        `region-${index}`,
        { table: `t${index}-${'x'.repeat(200)}`, awsRegion: `r-${index}` },
      ]),
    );
    expect(
      codeOf(() => addDynasyncStacks(app(), testConfig({ regions, deploy: { maskingKeys: false } }))),
    ).toEqual({
      code: ErrorCodes.config.invalidField,
      path: '(top level)',
    });
  });

  it('refuses a replicator role name longer than IAM allows, naming the deployment name as the fix', () => {
    const config = testConfig({
      name: `a${'b'.repeat(50)}`,
      deploy: {
        maskingKeys: false,
        regions: { 'us-east-1': { writerRoleArn: 'arn:aws:iam::123456789012:role/writer' } },
      },
    });
    expect(codeOf(() => addDynasyncStacks(app(), config))).toEqual({
      code: ErrorCodes.config.invalidField,
      path: 'name',
    });
  });
});
