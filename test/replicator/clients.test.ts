import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/loadConfig.js';
import { clientConfigFor, createDynamoClients, peerRolesFromEnv } from '../../replicator/clients.js';

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
});
