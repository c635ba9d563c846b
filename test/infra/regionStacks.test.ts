import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../core/config/loadConfig.js';
import { LambdaEnv } from '../../infra/constants.js';
import { REGION_ENV, SOURCE_ACCOUNT_ENV } from '../../replicator/handler.js';
import { emfMetrics } from '../../replicator/metrics.js';
import { captureStdout } from '../helpers/captureStdout.js';
import {
  exampleConfig,
  iamStatements,
  removeSynthOutputs,
  type SynthesisedApp,
  synthesise,
  wildcardStatements,
} from './helpers.js';

afterAll(removeSynthOutputs);

/** A resource of a synthesised template. */
interface TemplateResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly DependsOn?: string[];
}

/** The only resource of a type in a template: its logical id and body. */
const only = (template: Template, type: string): { id: string; resource: TemplateResource } => {
  const found = Object.entries(template.findResources(type));
  expect(
    found.map(([id]) => id),
    type,
  ).toHaveLength(1);
  return { id: found[0]![0], resource: found[0]![1] as TemplateResource };
};

const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });

describe('the example config: active-active eu-west-1 <-> us-east-1, created tables', () => {
  let synth: SynthesisedApp;
  let eu: Template;
  let us: Template;

  beforeAll(() => {
    synth = synthesise(exampleConfig());
    eu = synth.templates['eu-west-1']!;
    us = synth.templates['us-east-1']!;
  });

  describe('stacks', () => {
    it('makes one stack per region, the KMS primary first, each in the region the config names', () => {
      expect(synth.order).toEqual(['dynasync-orders-eu-west-1', 'dynasync-orders-us-east-1']);
      expect(synth.stacks['eu-west-1']!.region).toBe('eu-west-1');
      expect(synth.stacks['us-east-1']!.region).toBe('us-east-1');
    });

    it('deploys the replica region after the primary (its replica key references the primary key)', () => {
      expect(synth.stacks['us-east-1']!.dependencies).toContain(synth.stacks['eu-west-1']);
      expect(synth.stacks['eu-west-1']!.dependencies).toEqual([]);
    });
  });

  describe('table', () => {
    it('is created with stream NEW_AND_OLD_IMAGES, point-in-time recovery, TTL on _ds_ttl and deletion protection', () => {
      for (const [template, name] of [
        [eu, 'orders'],
        [us, 'orders'],
      ] as const) {
        template.hasResource('AWS::DynamoDB::Table', {
          Properties: {
            TableName: name,
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            BillingMode: 'PAY_PER_REQUEST',
            StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            TimeToLiveSpecification: { AttributeName: '_ds_ttl', Enabled: true },
            DeletionProtectionEnabled: true,
          },
          DeletionPolicy: 'Retain',
          UpdateReplacePolicy: 'Retain',
        });
      }
    });
  });

  describe('replicator function', () => {
    it('is a NodejsFunction on nodejs24.x, arm64, with the memory and timeout of the config', () => {
      expect(synth.stacks['eu-west-1']!.replicator!.function).toBeInstanceOf(nodejs.NodejsFunction);
      eu.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 60,
        LoggingConfig: { LogGroup: Match.anyValue() },
      });
    });

    it('runs every function of the app on nodejs24.x, the replicator and the token key function on arm64', () => {
      for (const template of [eu, us]) {
        const runtimes = Object.values(template.findResources('AWS::Lambda::Function')).map(
          (fn) => (fn as TemplateResource).Properties.Runtime,
        );
        expect(runtimes.length).toBeGreaterThan(0);
        expect(new Set(runtimes)).toEqual(new Set(['nodejs24.x']));
      }
      eu.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('token key material'),
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
      });
    });

    it('gets its config, region, account, dead-letter queue and masking key in the environment, with source maps on', () => {
      const queue = only(eu, 'AWS::SQS::Queue').id;
      const key = Object.entries(
        eu.findResources('AWS::KMS::Key', { Properties: { MultiRegion: true } }),
      )[0]![0];
      eu.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: {
            [LambdaEnv.config]: Match.anyValue(),
            [LambdaEnv.region]: 'eu-west-1',
            [LambdaEnv.sourceAccount]: { Ref: 'AWS::AccountId' },
            [LambdaEnv.deadLetterQueueUrl]: { Ref: queue },
            [LambdaEnv.maskingKeyArn]: getAtt(key, 'Arn'),
            [LambdaEnv.tokenKeyCiphertext]: getAtt(only(eu, 'Custom::DynasyncTokenKey').id, 'Ciphertext'),
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
      });
      expect(LambdaEnv.region).toBe(REGION_ENV);
      expect(LambdaEnv.sourceAccount).toBe(SOURCE_ACCOUNT_ENV);
    });

    it('passes a config that the handler loads as is: no deploy section, dead letters to SQS', () => {
      const fn = Object.values(
        eu.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs24.x', MemorySize: 512 } }),
      )[0] as { Properties: { Environment: { Variables: Record<string, string> } } };
      const text = fn.Properties.Environment.Variables[LambdaEnv.config]!;
      const loaded = parseConfig(JSON.parse(text), LambdaEnv.config);
      const source = exampleConfig();
      expect(loaded.deploy).toBeUndefined();
      expect(loaded.deadLetter.type).toBe('sqs');
      expect({ ...loaded, deadLetter: undefined, configVersion: undefined }).toEqual({
        ...source,
        deploy: undefined,
        deadLetter: undefined,
        configVersion: undefined,
      });
    });
  });

  describe('event source mapping', () => {
    it('carries every setting from the config, ReportBatchItemFailures and the queue as on-failure destination', () => {
      const table = only(eu, 'AWS::DynamoDB::Table').id;
      const queue = only(eu, 'AWS::SQS::Queue').id;
      eu.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: getAtt(table, 'StreamArn'),
        FunctionName: { Ref: Match.stringLikeRegexp('^ReplicatorFunction') },
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 0,
        ParallelizationFactor: 1,
        StartingPosition: 'TRIM_HORIZON',
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: -1,
        MaximumRecordAgeInSeconds: -1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: getAtt(queue, 'Arn') } },
        FilterCriteria: {
          Filters: Match.arrayWith([Match.objectLike({ Pattern: Match.stringLikeRegexp('_ds_rep') })]),
        },
      });
    });

    it('is created after the role and its policy (Lambda checks stream access when it creates the mapping)', () => {
      const mapping = only(eu, 'AWS::Lambda::EventSourceMapping').resource;
      const policy = Object.keys(eu.findResources('AWS::IAM::Policy')).find((id) =>
        id.startsWith('ReplicatorRole'),
      );
      expect(mapping.DependsOn).toEqual(expect.arrayContaining([policy]));
    });
  });

  describe('dead-letter queue', () => {
    it('is SQS with 14 days retention, encrypted with a rotated customer-managed key, TLS only', () => {
      const queue = only(eu, 'AWS::SQS::Queue');
      const keyId = (queue.resource.Properties.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })[
        'Fn::GetAtt'
      ][0];
      expect(queue.resource.Properties).toMatchObject({ MessageRetentionPeriod: 1_209_600 });
      expect(eu.toJSON().Resources[keyId]).toMatchObject({
        Type: 'AWS::KMS::Key',
        Properties: { EnableKeyRotation: true },
        DeletionPolicy: 'Retain',
      });
      eu.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: getAtt(queue.id, 'Arn'),
            }),
          ],
        },
      });
    });
  });

  describe('masking keys', () => {
    it('makes a rotated multi-Region primary key and the token key material in the primary region', () => {
      const key = Object.entries(eu.findResources('AWS::KMS::Key', { Properties: { MultiRegion: true } }));
      expect(key).toHaveLength(1);
      expect(key[0]![1].Properties).toMatchObject({ EnableKeyRotation: true, MultiRegion: true });
      eu.hasResourceProperties('AWS::KMS::Alias', {
        AliasName: 'alias/dynasync/orders/masking',
        TargetKeyId: getAtt(key[0]![0], 'Arn'),
      });
      eu.hasResourceProperties('Custom::DynasyncTokenKey', {
        KeyArn: getAtt(key[0]![0], 'Arn'),
        EncryptionContext: { purpose: 'dynasync-token-key', deployment: 'orders' },
      });
      us.resourceCountIs('Custom::DynasyncTokenKey', 0);
    });

    it('replicates the key into the other region, referencing the primary across regions', () => {
      const replica = only(us, 'AWS::KMS::ReplicaKey').resource;
      expect(JSON.stringify(replica.Properties.PrimaryKeyArn)).toMatch(/ExportsReader.*MaskingKey.*Arn/);
      us.resourceCountIs('AWS::KMS::Key', 1); // only the dead-letter queue's key
      us.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/dynasync/orders/masking' });
      us.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            [LambdaEnv.maskingKeyArn]: getAtt(only(us, 'AWS::KMS::ReplicaKey').id, 'Arn'),
            [LambdaEnv.tokenKeyCiphertext]: Match.objectLike({
              'Fn::GetAtt': [
                Match.stringLikeRegexp('^ExportsReader'),
                Match.stringLikeRegexp('TokenKey.*Ciphertext'),
              ],
            }),
          }),
        },
      });
    });

    it('lets the token key function generate data keys (ciphertext only) with the token context, nothing more', () => {
      const key = Object.keys(eu.findResources('AWS::KMS::Key', { Properties: { MultiRegion: true } }))[0]!;
      const statements = iamStatements(eu).filter((found) =>
        found.logicalId.startsWith('MaskingKeyTokenKeyRole'),
      );
      expect(statements.map((found) => found.statement)).toEqual([
        expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
        {
          Effect: 'Allow',
          Action: 'kms:GenerateDataKeyWithoutPlaintext',
          Resource: getAtt(key, 'Arn'),
          Condition: {
            StringEquals: {
              'kms:EncryptionContext:purpose': 'dynasync-token-key',
              'kms:EncryptionContext:deployment': 'orders',
            },
          },
        },
      ]);
    });
  });

  describe('least privilege', () => {
    it('gives the replicator exactly: its stream, PutItem on the peer table, send to its queue, decrypt the token key, its logs, X-Ray traces', () => {
      const table = only(eu, 'AWS::DynamoDB::Table').id;
      const queue = only(eu, 'AWS::SQS::Queue');
      const queueKey = (queue.resource.Properties.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })[
        'Fn::GetAtt'
      ][0];
      const maskingKey = Object.keys(
        eu.findResources('AWS::KMS::Key', { Properties: { MultiRegion: true } }),
      )[0]!;
      const logGroup = Object.keys(eu.findResources('AWS::Logs::LogGroup')).find((id) =>
        id.startsWith('Replicator'),
      )!;
      const statements = iamStatements(eu)
        .filter((found) => found.logicalId.startsWith('ReplicatorRole'))
        .map((found) => found.statement);
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: getAtt(logGroup, 'Arn'),
        },
        {
          // X-Ray active tracing (deploy.lambda.tracing): these two actions take no resource.
          Effect: 'Allow',
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Action: [
            'dynamodb:DescribeStream',
            'dynamodb:GetRecords',
            'dynamodb:GetShardIterator',
            'dynamodb:ListStreams',
          ],
          Resource: getAtt(table, 'StreamArn'),
        },
        {
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
                  ':table/orders',
                ],
              ],
            },
          ],
        },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: getAtt(queue.id, 'Arn') },
        {
          Effect: 'Allow',
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: getAtt(queueKey, 'Arn'),
          Condition: {
            StringEquals: {
              'kms:ViaService': { 'Fn::Join': ['', ['sqs.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] },
            },
          },
        },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: getAtt(maskingKey, 'Arn'),
          Condition: {
            StringEquals: {
              'kms:EncryptionContext:purpose': 'dynasync-token-key',
              'kms:EncryptionContext:deployment': 'orders',
            },
          },
        },
      ]);
      const role = Object.entries(eu.findResources('AWS::IAM::Role')).find(([id]) =>
        id.startsWith('ReplicatorRole'),
      )!;
      expect(role[1].Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('has no IAM statement with a wildcard resource for DynamoDB, SQS or KMS actions, in any stack', () => {
      for (const template of Object.values(synth.templates)) expect(wildcardStatements(template)).toEqual([]);
    });

    it('would catch one: the wildcard check flags the CDK default grantStreamRead (ListStreams on *)', () => {
      const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Probe');
      const table = new dynamodb.Table(stack, 'T', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      });
      const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      table.grantStreamRead(role);
      expect(
        wildcardStatements(Template.fromStack(stack)).map((found) => found.statement.Action),
      ).toContainEqual('dynamodb:ListStreams');
    });
  });

  describe('operations', () => {
    const alarms = [
      ['iterator-age', 'AWS/Lambda', 'IteratorAge', 'Maximum', 60_000, 'GreaterThanThreshold'],
      ['errors', 'AWS/Lambda', 'Errors', 'Sum', 1, 'GreaterThanOrEqualToThreshold'],
      ['throttles', 'AWS/Lambda', 'Throttles', 'Sum', 1, 'GreaterThanOrEqualToThreshold'],
      [
        'dead-letters',
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'Maximum',
        1,
        'GreaterThanOrEqualToThreshold',
      ],
      ['replication-lag', 'dynasync', 'ReplicationLagMs', 'Maximum', 30_000, 'GreaterThanThreshold'],
    ] as const;

    it.each(alarms)('alarms on %s (%s %s)', (suffix, namespace, metric, statistic, threshold, comparison) => {
      eu.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `dynasync-orders-eu-west-1-${suffix}`,
        Namespace: namespace,
        MetricName: metric,
        Statistic: statistic,
        Threshold: threshold,
        ComparisonOperator: comparison,
        EvaluationPeriods: 5,
        Period: 60,
        TreatMissingData: 'notBreaching',
      });
    });

    it('alarms on the replication lag exactly as the handler emits it: namespace, name and whole dimension set', () => {
      const lines = captureStdout();
      try {
        emfMetrics('orders', 'eu-west-1').publish({
          batchItemFailures: [],
          counts: {
            records: 1,
            changes: 1,
            applied: 1,
            stale: 0,
            deadLettered: 0,
            unfinished: 0,
            retried: 0,
            skipped: { echo: 0, ttl: 0, tombstonePurge: 0, coalesced: 0, noPeers: 0 },
          },
          lagMs: 42,
        });
      } finally {
        vi.restoreAllMocks();
      }
      const emf = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => '_aws' in entry)!;
      type Directive = { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] };
      const directive = (emf._aws as { CloudWatchMetrics: Directive[] }).CloudWatchMetrics[0]!;
      expect(directive.Metrics.map((metric) => metric.Name)).toContain('ReplicationLagMs');
      const emitted = directive.Dimensions[0]!.map((name) => ({ Name: name, Value: emf[name] as string }));
      const byName = (a: { Name: string }, b: { Name: string }) => a.Name.localeCompare(b.Name);
      const alarm = Object.values(
        eu.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'ReplicationLagMs' } }),
      )[0] as { Properties: { Namespace: string; Dimensions: { Name: string; Value: string }[] } };
      expect(alarm.Properties.Namespace).toBe(directive.Namespace);
      expect([...alarm.Properties.Dimensions].sort(byName)).toEqual(emitted.sort(byName));
      us.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ReplicationLagMs',
        Dimensions: Match.arrayWith([{ Name: 'Region', Value: 'us-east-1' }]),
      });
      eu.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    });

    it('makes a dashboard per direction of the region pair with lag, records, iterator age, errors and queue depth', () => {
      const body = JSON.stringify(only(eu, 'AWS::CloudWatch::Dashboard').resource.Properties.DashboardBody);
      expect(only(eu, 'AWS::CloudWatch::Dashboard').resource.Properties.DashboardName).toBe(
        'dynasync-orders-eu-west-1',
      );
      expect(only(us, 'AWS::CloudWatch::Dashboard').resource.Properties.DashboardName).toBe(
        'dynasync-orders-us-east-1',
      );
      for (const text of [
        'eu-west-1 → us-east-1',
        'ReplicationLagMs',
        'Applied',
        'Stale',
        'DeadLettered',
        'IteratorAge',
        'Errors',
        'Throttles',
        'ApproximateNumberOfMessagesVisible',
      ]) {
        expect(body).toContain(text);
      }
    });
  });
});
