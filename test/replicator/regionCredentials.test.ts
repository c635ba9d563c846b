import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../core/config/loadConfig.js';
import { isDynasyncError } from '../../core/errors.js';
import { accountCredentials, clientConfigFor, regionCredentials } from '../../replicator/clients.js';

const ROLE = 'arn:aws:iam::222222222222:role/dynasync-writer';

const configWith = (us: Record<string, unknown>) =>
  parseConfig({
    version: 1,
    name: 'x',
    regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders', ...us } },
    topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
  });

const issuePaths = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    if (isDynasyncError(error))
      return ((error.payload?.issues ?? []) as Array<{ path: string }>).map((issue) => issue.path);
    throw error;
  }
  throw new Error('expected the config to be rejected');
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dynasync-creds-'));
  const file = join(dir, 'credentials');
  await writeFile(
    file,
    '[prod]\naws_access_key_id = AKIAPROD\naws_secret_access_key = s1\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = s2\n',
    { mode: 0o600 },
  );
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', file);
  vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config-absent'));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

describe('regions.<r>.profile / roleArn / externalId (config)', () => {
  it('accepts a profile, or a role with an external id', () => {
    expect(configWith({ profile: 'prod' }).regions['us-east-1']!.profile).toBe('prod');
    const region = configWith({ roleArn: ROLE, externalId: 'ext-123' }).regions['us-east-1']!;
    expect([region.roleArn, region.externalId]).toEqual([ROLE, 'ext-123']);
  });

  it('rejects a role that is no IAM role ARN, an empty profile, and an externalId without roleArn, naming the field', () => {
    expect(issuePaths(() => configWith({ roleArn: 'dynasync-writer' }))).toEqual([
      'regions.us-east-1.roleArn',
    ]);
    expect(issuePaths(() => configWith({ profile: '' }))).toEqual(['regions.us-east-1.profile']);
    expect(issuePaths(() => configWith({ externalId: 'ext-123' }))).toEqual(['regions.us-east-1.externalId']);
  });
});

describe('credentials per region', () => {
  it("uses the region's own profile (fromIni) for that region only; the other keeps the default chain", async () => {
    const config = configWith({ profile: 'prod' });
    const us = clientConfigFor('us-east-1', config.regions['us-east-1']!, {}).credentials;
    const eu = clientConfigFor('eu-west-1', config.regions['eu-west-1']!, {}).credentials;
    expect(typeof us).toBe('function');
    expect((await (us as () => Promise<{ accessKeyId: string }>)()).accessKeyId).toBe('AKIAPROD');
    expect(eu).toBeUndefined();
  });

  it("a region's profile wins over --profile, which applies to the regions without one", async () => {
    const config = configWith({ profile: 'prod' });
    const env = { DYNASYNC_PROFILE: 'other' };
    const us = regionCredentials('us-east-1', config.regions['us-east-1']!, {}, env) as () => Promise<{
      accessKeyId: string;
    }>;
    const eu = regionCredentials('eu-west-1', config.regions['eu-west-1']!, {}, env) as () => Promise<{
      accessKeyId: string;
    }>;
    expect((await us()).accessKeyId).toBe('AKIAPROD');
    expect((await eu()).accessKeyId).toBe('AKIAOTHER');
  });

  it("assumes the region's roleArn through the peer-role path: session dynasync-<region>, its externalId, from its profile", async () => {
    const calls: unknown[][] = [];
    const assumeRole = (...args: unknown[]) => {
      calls.push(args);
      return async () => ({ accessKeyId: 'AKIAROLE', secretAccessKey: 'x' });
    };
    const config = configWith({ roleArn: ROLE, externalId: 'ext-123', profile: 'prod' });
    const credentials = clientConfigFor('us-east-1', config.regions['us-east-1']!, { assumeRole })
      .credentials as () => Promise<{ accessKeyId: string }>;
    expect(calls).toEqual([[ROLE, 'dynasync-us-east-1', 'ext-123', 'prod']]);
    expect((await credentials()).accessKeyId).toBe('AKIAROLE');
    expect(accountCredentials('eu-west-1', config.regions['eu-west-1']!, { assumeRole })).toBeUndefined();
  });

  it("the Lambda's DYNASYNC_PEER_ROLES role wins over the config's roleArn (and does not take its externalId)", () => {
    const calls: unknown[][] = [];
    const assumeRole = (...args: unknown[]) => {
      calls.push(args);
      return async () => ({ accessKeyId: 'A', secretAccessKey: 'x' });
    };
    const config = configWith({ roleArn: ROLE, externalId: 'ext-123' });
    const peer = 'arn:aws:iam::333333333333:role/from-cdk';
    regionCredentials(
      'us-east-1',
      config.regions['us-east-1']!,
      { roles: { 'us-east-1': peer }, assumeRole },
      {},
    );
    expect(calls).toEqual([[peer, 'dynasync-us-east-1', undefined, undefined]]);
  });

  it('a local endpoint keeps its dummy keys under --profile, but a region profile or role replaces them', async () => {
    const local = { table: 'orders', endpoint: 'http://127.0.0.1:8001' };
    expect(regionCredentials('eu-west-1', local, {}, { DYNASYNC_PROFILE: 'other' })).toEqual({
      accessKeyId: 'local',
      secretAccessKey: 'local',
    });
    const withProfile = regionCredentials(
      'eu-west-1',
      { ...local, profile: 'prod' },
      {},
      {},
    ) as () => Promise<{
      accessKeyId: string;
    }>;
    expect((await withProfile()).accessKeyId).toBe('AKIAPROD');
  });

  it('gives SQS and KMS clients (accountCredentials) no dummy keys for a local DynamoDB endpoint', () => {
    expect(
      accountCredentials('eu-west-1', { table: 'orders', endpoint: 'http://127.0.0.1:8001' }),
    ).toBeUndefined();
  });
});
