import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../core/config/loadConfig.js';
import {
  clientConfigFor,
  clientTimeouts,
  createDynamoClients,
  peerRolesFromEnv,
} from '../../replicator/clients.js';

const config = parseConfig({
  version: 1,
  name: 'x',
  regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders' } },
  topology: { type: 'active-active' },
});

describe('clients', () => {
  it('assumes the configured role for a peer in another account, and only for it', async () => {
    // Prepare
    const assumed: Array<[string, string]> = [];
    const assumeRole = (roleArn: string, sessionName: string) => {
      assumed.push([roleArn, sessionName]);
      return async () => ({ accessKeyId: 'AKIAPEER', secretAccessKey: 'secret' });
    };
    const roles = { 'us-east-1': 'arn:aws:iam::222222222222:role/dynasync-writer' };

    // Act
    const clients = createDynamoClients(config, { roles, assumeRole });
    const peerCredentials = await clients['us-east-1']!.config.credentials();

    // Assess
    expect(assumed).toEqual([['arn:aws:iam::222222222222:role/dynasync-writer', 'dynasync-us-east-1']]);
    expect(peerCredentials.accessKeyId).toBe('AKIAPEER');
    expect(
      clientConfigFor('eu-west-1', config.regions['eu-west-1']!, { roles, assumeRole }).credentials,
    ).toBeUndefined();
    for (const client of Object.values(clients)) client.destroy();
  });

  it('reads DYNASYNC_PEER_ROLES, and rejects a value that is not a map of role ARNs', () => {
    expect(peerRolesFromEnv({})).toEqual({});
    expect(peerRolesFromEnv({ DYNASYNC_PEER_ROLES: '{"us-east-1":"arn:aws:iam::2:role/w"}' })).toEqual({
      'us-east-1': 'arn:aws:iam::2:role/w',
    });
    expect(() => peerRolesFromEnv({ DYNASYNC_PEER_ROLES: '{"us-east-1":7}' })).toThrow(/DYNASYNC_PEER_ROLES/);
  });

  it('uses local credentials for a loopback endpoint so DynamoDB Local needs no AWS account', () => {
    const local = clientConfigFor('eu-west-1', { table: 'orders', endpoint: 'http://127.0.0.1:8001' });

    expect(local.endpoint).toBe('http://127.0.0.1:8001');
    expect(local.region).toBe('eu-west-1');
  });

  it('takes request and connection timeouts from the options, else the environment, else 30 s and 5 s', () => {
    expect(clientTimeouts({}, {})).toEqual({ requestTimeoutMs: 30_000, connectionTimeoutMs: 5_000 });
    expect(
      clientTimeouts({}, { DYNASYNC_REQUEST_TIMEOUT_MS: '250', DYNASYNC_CONNECT_TIMEOUT_MS: '100' }),
    ).toEqual({ requestTimeoutMs: 250, connectionTimeoutMs: 100 });
    expect(
      clientTimeouts({ requestTimeoutMs: 7 }, { DYNASYNC_REQUEST_TIMEOUT_MS: '250' }).requestTimeoutMs,
    ).toBe(7);
    for (const bad of ['0', '-5', '1.5', 'soon'])
      expect(() => clientTimeouts({}, { DYNASYNC_REQUEST_TIMEOUT_MS: bad })).toThrow(
        expect.objectContaining({
          code: 'config.invalidField',
          payload: { path: 'DYNASYNC_REQUEST_TIMEOUT_MS' },
        }),
      );
  });

  it('gives the SDK handler the timeouts with throwOnRequestTimeout, so a silent endpoint fails the call', async () => {
    const handler = clientConfigFor('eu-west-1', config.regions['eu-west-1']!, {
      requestTimeoutMs: 1234,
      connectionTimeoutMs: 321,
    }).requestHandler as { configProvider: Promise<Record<string, unknown>> };

    expect(await handler.configProvider).toMatchObject({
      requestTimeout: 1234,
      connectionTimeout: 321,
      throwOnRequestTimeout: true,
    });
  });

  describe('a named profile', () => {
    let dir: string | undefined;
    afterEach(async () => {
      vi.unstubAllEnvs();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it('supplies the credentials (fromIni), ahead of environment keys; DynamoDB Local keeps its own', async () => {
      // Prepare
      dir = await mkdtemp(join(tmpdir(), 'dynasync-profile-'));
      const credentialsFile = join(dir, 'credentials');
      await writeFile(
        credentialsFile,
        '[audit]\naws_access_key_id = AKIAAUDIT\naws_secret_access_key = secret\n',
      );
      vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', credentialsFile);
      vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config'));
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAENV');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'env');

      // Act
      const explicit = createDynamoClients(config, { profile: 'audit' });
      vi.stubEnv('DYNASYNC_PROFILE', 'audit');
      const fromEnv = createDynamoClients(config);
      vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
      const local = clientConfigFor('eu-west-1', { table: 'orders', endpoint: 'http://127.0.0.1:8001' });

      // Assess
      expect((await explicit['eu-west-1']!.config.credentials()).accessKeyId).toBe('AKIAAUDIT');
      expect((await fromEnv['us-east-1']!.config.credentials()).accessKeyId).toBe('AKIAAUDIT');
      expect(local.credentials).toEqual({ accessKeyId: 'local', secretAccessKey: 'local' });
      for (const client of [...Object.values(explicit), ...Object.values(fromEnv)]) client.destroy();
    });
  });
});
