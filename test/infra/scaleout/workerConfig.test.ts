import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../core/config/loadConfig.js';
import { ErrorCodes } from '../../../core/errors.js';
import { workerConfigDocument } from '../../../infra/resolveDeploy.js';
import { PERMANENT_TASK_ERRORS, ScaleoutWorkerEnv } from '../../../infra/scaleout/DynasyncScaleout.js';
import { readWorkerEnv } from '../../../tools/scaleout/workerEnv.js';
import { dynasyncErrorOf } from '../../helpers/laws.js';
import { scaleoutStack } from '../../helpers/scaleoutStack.js';

const dir = mkdtempSync(join(tmpdir(), 'dynasync-worker-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config file as a user writes it (comments, defaults left out, a `deploy` section, a file DLQ). */
const configFile = (extra: Record<string, unknown> = {}): string => {
  const path = join(dir, `dynasync-${Math.random().toString(36).slice(2)}.json`);
  const document = {
    version: 1,
    name: 'orders',
    regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders-us' } },
    topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
    deploy: { removalPolicy: 'destroy' },
    pipelines: {
      'us-east-1': {
        key: ['pk'],
        stages: [{ id: 'users', type: 'filter', keyPrefix: 'user#' }],
      },
    },
    ...extra,
  };
  writeFileSync(path, `// written by hand\n${JSON.stringify(document, null, 2)}`, { mode: 0o600 });
  return path;
};

const workerEnvOf = (synth: ReturnType<typeof scaleoutStack>): Record<string, unknown> => {
  const functions = synth.template.findResources('AWS::Lambda::Function', {
    Properties: { Description: Match.stringLikeRegexp('scale-out worker') },
  });
  const [worker] = Object.values(functions);
  return (worker as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties
    .Environment.Variables;
};

describe('the worker config document', { timeout: 120_000 }, () => {
  it('gives the worker the config version the CLI computes from the file', () => {
    const config = loadConfigFile(configFile());
    const inLambda = readWorkerEnv({
      [ScaleoutWorkerEnv.config]: workerConfigDocument(config),
      [ScaleoutWorkerEnv.bucket]: 'jobs',
      [ScaleoutWorkerEnv.keyArn]:
        'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    }).config;
    expect(inLambda.configVersion).toBe(config.configVersion);
    expect(inLambda.pipelines).toEqual(config.pipelines);
    expect(inLambda.deploy).toBeUndefined();
  });

  it('is what the construct puts in DYNASYNC_CONFIG with the config prop, with the same version', () => {
    const config = loadConfigFile(configFile());
    const synth = scaleoutStack({ config });
    const env = workerEnvOf(synth);
    expect(env[ScaleoutWorkerEnv.config]).toBe(workerConfigDocument(config));
    expect(
      readWorkerEnv({
        ...env,
        [ScaleoutWorkerEnv.bucket]: 'jobs',
        [ScaleoutWorkerEnv.keyArn]: 'arn:aws:kms:eu-west-1:111111111111:key/k',
      }).config.configVersion,
    ).toBe(config.configVersion);
    expect(env[ScaleoutWorkerEnv.bucket]).toEqual(expect.objectContaining({ Ref: expect.any(String) }));
  });

  it('leaves DYNASYNC_CONFIG out without the config prop (the template of before)', () => {
    expect(workerEnvOf(scaleoutStack())[ScaleoutWorkerEnv.config]).toBeUndefined();
  });

  it('refuses a config naming a module the worker cannot load, and the config given twice', () => {
    const mapFile = configFile({
      pipelines: {
        'us-east-1': { key: ['pk'], stages: [{ id: 'remap', type: 'map', module: './remap.mjs' }] },
      },
    });
    const error = dynasyncErrorOf(() => workerConfigDocument(loadConfigFile(mapFile)));
    expect(error.code).toBe(ErrorCodes.config.invalidField);
    expect(error.payload.path).toBe('pipelines.us-east-1.stages[0].module');
    expect(() => scaleoutStack({ config: loadConfigFile(mapFile) })).toThrow(/does not load user modules/);
    const config = loadConfigFile(configFile());
    expect(() => scaleoutStack({ config, environment: { [ScaleoutWorkerEnv.config]: '{}' } })).toThrow(
      /not both/,
    );
  });

  it('fails the new worker codes at once (no retry)', () => {
    expect(PERMANENT_TASK_ERRORS).toEqual(
      expect.arrayContaining([ErrorCodes.scaleout.jobNotFound, ErrorCodes.scaleout.invalidEnvironment]),
    );
  });
});

describe('the worker role', { timeout: 120_000 }, () => {
  type Statement = { Action: string | string[]; Resource: unknown };
  const statementsOf = (synth: ReturnType<typeof scaleoutStack>): Statement[] => {
    const roleId = synth.stack.getLogicalId(synth.scaleout.workerRole.node.defaultChild as never);
    return Object.values(synth.template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  };
  const actions = (statement: Statement) =>
    Array.isArray(statement.Action) ? statement.Action : [statement.Action];

  it('may use the bucket key for SSE-KMS objects: GenerateDataKey to put, Decrypt to get, on that key only', () => {
    const synth = scaleoutStack({ config: loadConfigFile(configFile()) });
    const keyId = synth.stack.getLogicalId(synth.scaleout.key.node.defaultChild as never);
    const kms = statementsOf(synth).filter((statement) =>
      actions(statement).some((a) => a.startsWith('kms:')),
    );
    expect(kms.flatMap(actions).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(kms.map((statement) => statement.Resource)).toEqual([{ 'Fn::GetAtt': [keyId, 'Arn'] }]);
  });

  it('reads and describes both tables, writes only the target and only with writes', () => {
    for (const writes of [false, true]) {
      const synth = scaleoutStack({ config: loadConfigFile(configFile()), writes });
      const dynamo = statementsOf(synth).filter((statement) =>
        actions(statement).some((a) => a.startsWith('dynamodb:')),
      );
      for (const table of ['table/orders"', 'table/orders-us"']) {
        const onTable = dynamo.filter((statement) => JSON.stringify(statement.Resource).includes(table));
        const granted = new Set(onTable.flatMap(actions));
        for (const action of [
          'dynamodb:Scan',
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:DescribeTable',
          'dynamodb:DescribeTimeToLive',
        ])
          expect(granted.has(action), `${table} ${action}`).toBe(true);
        const writing = table === 'table/orders-us"' && writes;
        expect(granted.has('dynamodb:PutItem'), `${table} PutItem`).toBe(writing);
        expect(granted.has('dynamodb:BatchWriteItem'), `${table} BatchWriteItem`).toBe(writing);
      }
    }
  });
});
