import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/loadConfig.js';
import type { ConfigInput } from '../../core/config/schema.js';
import type { Config, ConfigIssue } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { lambdaConfigDocument, resolveDeploy, sourcesOf } from '../../infra/resolveDeploy.js';
import { exampleConfig, removeSynthOutputs, synthesise, testConfig } from './helpers.js';

/** The issues of an invalid config (asserting the error code, never the message wording). */
const issuesOf = (document: Record<string, unknown>): ConfigIssue[] => {
  try {
    parseConfig({
      version: 1,
      name: 'orders',
      regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders' } },
      topology: { type: 'active-active' },
      ...document,
    });
  } catch (error) {
    expect(error).toBeInstanceOf(DynasyncError);
    expect((error as DynasyncError).code).toBe(ErrorCodes.config.invalidField);
    return (error as DynasyncError).payload.issues as ConfigIssue[];
  }
  return expect.fail('expected the config to be rejected');
};

const paths = (document: Record<string, unknown>): string[] => issuesOf(document).map((issue) => issue.path);

describe('the deploy section', () => {
  it('is optional: without it every default applies', () => {
    const config = testConfig({ replicator: { batchSize: 250, startingPosition: 'LATEST' } });
    expect(config.deploy).toBeUndefined();
    expect(resolveDeploy(config)).toEqual({
      table: { mode: 'import' },
      lambda: { memoryMb: 512, timeoutSeconds: 60, logRetentionDays: 30, tracing: true },
      eventSource: {
        batchSize: 250,
        maxBatchingWindowSeconds: 0,
        parallelizationFactor: 1,
        startingPosition: 'LATEST',
        bisectBatchOnError: true,
        retryAttempts: -1,
        maxRecordAgeSeconds: -1,
      },
      filterEchoes: true,
      maskingKeys: true,
      kmsPrimaryRegion: 'eu-west-1',
      alarms: {
        iteratorAgeMs: 60_000,
        errors: 1,
        throttles: 1,
        deadLetterDepth: 1,
        replicationLagMs: 30_000,
        periodSeconds: 60,
        evaluationPeriods: 5,
      },
      removalPolicy: 'retain',
      regions: {},
    });
  });

  it('takes the mapping settings it is given over the replicator fallbacks', () => {
    const config = testConfig({
      replicator: { batchSize: 250 },
      deploy: {
        eventSource: {
          batchSize: 2_000,
          startingPosition: 'LATEST',
          retryAttempts: 3,
          maxRecordAgeSeconds: 3_600,
        },
        kmsPrimaryRegion: 'us-east-1',
      },
    });
    expect(resolveDeploy(config)).toMatchObject({
      eventSource: {
        batchSize: 2_000,
        startingPosition: 'LATEST',
        retryAttempts: 3,
        maxRecordAgeSeconds: 3_600,
      },
      kmsPrimaryRegion: 'us-east-1',
    });
  });

  it('accepts the example config, an active-active pair with created tables', () => {
    const config = exampleConfig();
    expect(config.topology.type).toBe('active-active');
    expect(Object.keys(config.regions)).toEqual(['eu-west-1', 'us-east-1']);
    expect(config.deploy?.table).toEqual({ mode: 'create', partitionKey: { name: 'pk', type: 'S' } });
  });

  it('names the field path of every invalid value', () => {
    expect(
      paths({
        deploy: {
          eventSource: { parallelizationFactor: 11, maxRecordAgeSeconds: 30, retryAttempts: -2 },
          lambda: { memoryMb: 64, logRetentionDays: 2, reservedConcurrency: 0 },
          alarms: { periodSeconds: 45 },
          table: { mode: 'create' },
          regions: { 'eu-west-1': { account: '1234', writerRoleArn: 'role/x', streamArn: 'stream' } },
        },
      }).sort(),
    ).toEqual(
      [
        'deploy.eventSource.parallelizationFactor',
        'deploy.eventSource.maxRecordAgeSeconds',
        'deploy.eventSource.retryAttempts',
        'deploy.lambda.memoryMb',
        'deploy.lambda.logRetentionDays',
        'deploy.lambda.reservedConcurrency',
        'deploy.alarms.periodSeconds',
        'deploy.table.partitionKey',
        'deploy.regions.eu-west-1.account',
        'deploy.regions.eu-west-1.writerRoleArn',
        'deploy.regions.eu-west-1.streamArn',
      ].sort(),
    );
  });

  it('rejects unknown fields, so a typo never falls back to a default', () => {
    expect(issuesOf({ deploy: { eventSource: { batchsize: 10 } } })).toEqual([
      { path: expect.stringMatching(/^deploy\.eventSource/), message: expect.stringContaining('batchsize') },
    ]);
  });

  describe('cross-field checks', () => {
    it('deploy.regions and deploy.kmsPrimaryRegion name regions of the config', () => {
      expect(paths({ deploy: { regions: { 'eu-west-2': {} }, kmsPrimaryRegion: 'ap-south-1' } })).toEqual([
        'deploy.regions.eu-west-2',
        'deploy.kmsPrimaryRegion',
      ]);
    });

    it('the Lambda timeout leaves room for replicator.timeBudgetMarginMs', () => {
      expect(
        paths({ replicator: { timeBudgetMarginMs: 10_000 }, deploy: { lambda: { timeoutSeconds: 12 } } }),
      ).toEqual(['deploy.lambda.timeoutSeconds']);
      expect(() =>
        testConfig({
          replicator: { timeBudgetMarginMs: 10_000 },
          deploy: { lambda: { timeoutSeconds: 15 } },
        }),
      ).not.toThrow();
    });

    it('a peer in another account needs a writer role in that account, and masking keys need one account', () => {
      const regions = { 'eu-west-1': { account: '111111111111' }, 'us-east-1': { account: '222222222222' } };
      expect(paths({ deploy: { regions } })).toEqual([
        'deploy.regions.us-east-1.writerRoleArn',
        'deploy.regions.eu-west-1.writerRoleArn',
        'deploy.maskingKeys',
      ]);
      expect(
        paths({
          deploy: {
            maskingKeys: false,
            regions: {
              'eu-west-1': { ...regions['eu-west-1'], writerRoleArn: 'arn:aws:iam::111111111111:role/w' },
              'us-east-1': { ...regions['us-east-1'], writerRoleArn: 'arn:aws:iam::111111111111:role/w' },
            },
          },
        }),
      ).toEqual(['deploy.regions.us-east-1.writerRoleArn']);
    });

    it('one-way: only the source writes, so only the replicas need writer roles', () => {
      expect(
        paths({
          topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
          deploy: {
            maskingKeys: false,
            regions: { 'eu-west-1': { account: '111111111111' }, 'us-east-1': { account: '222222222222' } },
          },
        }),
      ).toEqual(['deploy.regions.us-east-1.writerRoleArn']);
    });
  });
});

describe('helpers of the deploy section', () => {
  it('sourcesOf is the inverse of the topology', () => {
    const oneWay = testConfig({ topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] } });
    expect(sourcesOf(oneWay, 'us-east-1')).toEqual(['eu-west-1']);
    expect(sourcesOf(oneWay, 'eu-west-1')).toEqual([]);
    expect(sourcesOf(testConfig(), 'eu-west-1')).toEqual(['us-east-1']);
  });

  it('lambdaConfigDocument drops deploy and configVersion and dead-letters to SQS; the loader takes it back', () => {
    const config = exampleConfig();
    const document = JSON.parse(lambdaConfigDocument(config)) as Record<string, unknown>;
    expect(document.deploy).toBeUndefined();
    expect(document.configVersion).toBeUndefined();
    expect(document.deadLetter).toEqual({ type: 'sqs' });
    const loaded = parseConfig(document);
    expect(loaded.regions).toEqual(config.regions);
    expect(loaded.replicator).toEqual(config.replicator);
  });

  it('gives the Lambda the configVersion of dynasync run: the same file, read without deploy', () => {
    // Prepare: a file with a deploy section and a sink the Lambda keeps as it is
    const config = testConfig({
      deadLetter: {
        type: 'sqs',
        queues: { 'eu-west-1': 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq' },
      },
      deploy: { lambda: { memoryMb: 1024 } },
    });

    // Act
    const inLambda = parseConfig(JSON.parse(lambdaConfigDocument(config)));

    // Assess
    expect(config.deploy).toBeDefined();
    expect(inLambda.configVersion).toBe(config.configVersion);
  });

  it('lambdaConfigDocument keeps an SQS sink but drops its overflowDir (no durable file system in Lambda)', () => {
    const config = testConfig({
      deadLetter: {
        type: 'sqs',
        queues: { 'eu-west-1': 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq' },
        overflowDir: 'big',
      },
    });
    const document = JSON.parse(lambdaConfigDocument(config)) as { deadLetter: Record<string, unknown> };
    expect(document.deadLetter).toEqual({
      type: 'sqs',
      queues: { 'eu-west-1': 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq' },
      maxMessageBytes: 262_144,
    });
    expect(parseConfig(document).deadLetter).toEqual(document.deadLetter);
  });
});

describe('keys of a deployed pipeline', () => {
  afterAll(removeSynthOutputs);

  /** One-way with a tokenizing pipeline for the replica; `keys` as given. */
  const maskingConfig = (keys?: ConfigInput['keys']) =>
    testConfig({
      topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
      ...(keys === undefined ? {} : { keys }),
      pipelines: {
        'us-east-1': {
          key: ['pk'],
          stages: [{ type: 'mask', id: 'pii', rules: [{ path: 'email', action: 'tokenize' }] }],
        },
      },
    });

  /** The error synthesising a config throws, or undefined. */
  const synthError = (config: Config): DynasyncError | undefined => {
    try {
      synthesise(config);
    } catch (error) {
      expect(error).toBeInstanceOf(DynasyncError);
      return error as DynasyncError;
    }
    return undefined;
  };

  it.each([
    ['keys.type "local" with a file', { type: 'local', file: '.dynasync/masking.key' }],
    ['keys.type "local" with a variable', { type: 'local', env: 'DYNASYNC_MASKING_KEY' }],
    ['no keys section (local is the default)', undefined],
  ] as const)('rejects %s at synth, naming keys.type, the construct and the fix', (_what, keys) => {
    const error = synthError(maskingConfig(keys));
    expect(error?.code).toBe(ErrorCodes.config.invalidField);
    expect(error?.payload).toMatchObject({ path: 'keys.type' });
    expect(error?.message).toContain('dynasync-orders-eu-west-1/Replicator');
    expect(error?.message).toContain('"type": "kms"');
  });

  it('synthesises keys.type "kms", and a local key when no deployed pipeline needs one', () => {
    expect(synthError(maskingConfig({ type: 'kms' }))).toBeUndefined();
    const filterOnly = testConfig({
      topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
      keys: { type: 'local', file: '.dynasync/masking.key' },
      pipelines: { 'us-east-1': { key: ['pk'], stages: [{ type: 'filter', id: 'f', keyPrefix: 'p#' }] } },
    });
    expect(synthError(filterOnly)).toBeUndefined();
  });
});
