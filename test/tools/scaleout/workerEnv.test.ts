import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../core/errors.js';
import { readWorkerEnv, ScaleoutWorkerEnv } from '../../../tools/scaleout/workerEnv.js';
import { dynasyncErrorOf } from '../../helpers/laws.js';

const config = {
  version: 1,
  name: 'orders',
  regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders-us' } },
  topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
};
const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const good = (): Record<string, string> => ({
  [ScaleoutWorkerEnv.config]: JSON.stringify(config),
  [ScaleoutWorkerEnv.bucket]: 'dynasync-jobs-1a2b',
  [ScaleoutWorkerEnv.keyArn]: KEY_ARN,
});

describe('readWorkerEnv', () => {
  it('reads the config, the bucket and the key of a good environment', () => {
    const environment = readWorkerEnv(good());
    expect(environment.bucket).toBe('dynasync-jobs-1a2b');
    expect(environment.keyArn).toBe(KEY_ARN);
    expect(environment.config.name).toBe('orders');
    expect(environment.config.configVersion).toMatch(/^[0-9a-f]{12}$/);
  });

  it.each([
    [ScaleoutWorkerEnv.config, undefined],
    [ScaleoutWorkerEnv.config, ''],
    [ScaleoutWorkerEnv.config, '{not json'],
    [ScaleoutWorkerEnv.config, JSON.stringify({ ...config, regions: {} })],
    [ScaleoutWorkerEnv.bucket, undefined],
    [ScaleoutWorkerEnv.bucket, ''],
    [ScaleoutWorkerEnv.bucket, 'Not_A_Bucket'],
    [ScaleoutWorkerEnv.bucket, 'ab'],
    [ScaleoutWorkerEnv.keyArn, undefined],
    [ScaleoutWorkerEnv.keyArn, ''],
    [ScaleoutWorkerEnv.keyArn, 'alias/dynasync'],
    [ScaleoutWorkerEnv.keyArn, 'arn:aws:s3:::bucket'],
  ])('refuses %s = %j with scaleout.invalidEnvironment naming the variable', (variable, value) => {
    const env = good();
    if (value === undefined) delete env[variable];
    else env[variable] = value;
    const error = dynasyncErrorOf(() => readWorkerEnv(env));
    expect(error.code).toBe(ErrorCodes.scaleout.invalidEnvironment);
    expect(error.payload.variable).toBe(variable);
    expect(error.message).toContain(variable);
  });

  it('keeps the config error as the cause and does not fall back to DYNASYNC_CONFIG_FILE', () => {
    const env = { ...good(), [ScaleoutWorkerEnv.config]: JSON.stringify({ ...config, regions: {} }) };
    expect((dynasyncErrorOf(() => readWorkerEnv(env)).cause as { code?: string }).code).toBe(
      ErrorCodes.config.invalidField,
    );
    const { [ScaleoutWorkerEnv.config]: _config, ...rest } = good();
    const error = dynasyncErrorOf(() => readWorkerEnv({ ...rest, DYNASYNC_CONFIG_FILE: '/nowhere.json' }));
    expect(error.payload.variable).toBe(ScaleoutWorkerEnv.config);
  });
});
