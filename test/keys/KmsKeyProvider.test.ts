import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/loadConfig.js';
import { ErrorCodes } from '../../core/errors.js';
import { createKeyProvider, KmsEnv } from '../../keys/createKeyProvider.js';
import { KmsKeyProvider } from '../../keys/KmsKeyProvider.js';
import { LocalKeyProvider } from '../../keys/LocalKeyProvider.js';
import { dataKeyId } from '../../pipeline/maskingCrypto.js';

const kms = mockClient(KMSClient);
afterEach(() => kms.reset());

const dataKey = new Uint8Array(randomBytes(32));
const context = { purpose: 'dynasync-token-key', deployment: 'orders' };

describe('KmsKeyProvider', () => {
  it('decrypts the data key once per cold start, with the key id and encryption context, and caches it', async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: dataKey });
    const provider = new KmsKeyProvider({
      client: new KMSClient({ region: 'eu-west-1' }),
      keyId: 'arn:aws:kms:eu-west-1:123456789012:key/mrk-1',
      dataKeyCiphertext: Buffer.from('blob').toString('base64'),
      encryptionContext: context,
    });
    const [a, b] = await Promise.all([provider.resolve(), provider.resolve()]);
    await provider.resolve();
    expect(a).toBe(b);
    expect(a.current.id).toBe(dataKeyId(dataKey));
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
    const input = kms.commandCalls(DecryptCommand)[0]!.args[0].input;
    expect(input.KeyId).toBe('arn:aws:kms:eu-west-1:123456789012:key/mrk-1');
    expect(input.EncryptionContext).toEqual(context);
    expect(Buffer.from(input.CiphertextBlob!).toString()).toBe('blob');
  });

  it('reports access denied as pipeline.keyUnavailable and tries again on the next call', async () => {
    kms
      .on(DecryptCommand)
      .rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))
      .resolves({ Plaintext: dataKey });
    const provider = new KmsKeyProvider({
      client: new KMSClient({ region: 'eu-west-1' }),
      keyId: 'k',
      dataKeyCiphertext: 'AAAA',
    });
    await expect(provider.resolve()).rejects.toMatchObject({ code: ErrorCodes.pipeline.keyUnavailable });
    await expect(provider.resolve()).resolves.toMatchObject({ current: { id: dataKeyId(dataKey) } });
  });

  it('holds previous data keys for decryption after a rotation', async () => {
    const old = new Uint8Array(randomBytes(32));
    kms.on(DecryptCommand, { CiphertextBlob: Buffer.from('old') }).resolves({ Plaintext: old });
    kms.on(DecryptCommand, { CiphertextBlob: Buffer.from('new') }).resolves({ Plaintext: dataKey });
    const provider = new KmsKeyProvider({
      client: new KMSClient({ region: 'eu-west-1' }),
      keyId: 'k',
      dataKeyCiphertext: Buffer.from('new').toString('base64'),
      previous: [Buffer.from('old').toString('base64')],
    });
    const ring = await provider.resolve();
    expect(ring.all.map((key) => key.id)).toEqual([dataKeyId(dataKey), dataKeyId(old)]);
  });
});

describe('createKeyProvider', () => {
  const config = (keys?: unknown) =>
    parseConfig({
      version: 1,
      name: 'orders',
      regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders' } },
      topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
      ...(keys === undefined ? {} : { keys }),
    });

  it('reads a local key from DYNASYNC_MASKING_KEY by default, or from a file', async () => {
    const hex = Buffer.from(dataKey).toString('hex');
    const fromEnv = await createKeyProvider(config(), 'eu-west-1', {
      env: { DYNASYNC_MASKING_KEY: hex },
    }).resolve();
    expect(fromEnv.current.id).toBe(dataKeyId(dataKey));
    const file = join(mkdtempSync(join(tmpdir(), 'dynasync-key-')), 'masking.key');
    writeFileSync(file, `${Buffer.from(dataKey).toString('base64')}\n`);
    const fromFile = await createKeyProvider(config({ type: 'local', file }), 'eu-west-1').resolve();
    expect(fromFile.current.id).toBe(dataKeyId(dataKey));
  });

  it('refuses a missing or malformed local key without quoting it', async () => {
    await expect(createKeyProvider(config(), 'eu-west-1', { env: {} }).resolve()).rejects.toMatchObject({
      code: ErrorCodes.pipeline.keyUnavailable,
    });
    const error = await new LocalKeyProvider({ source: { env: 'K' }, env: { K: 'hunter2-secret' } })
      .resolve()
      .catch((e: Error) => e);
    expect(error).toMatchObject({ code: ErrorCodes.pipeline.keyUnavailable });
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('builds a KMS provider from the CDK environment variables, with the deployment context', async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: dataKey });
    const provider = createKeyProvider(config({ type: 'kms' }), 'us-east-1', {
      env: { [KmsEnv.keyArn]: 'arn:aws:kms:us-east-1:1:key/mrk-1', [KmsEnv.dataKeyCiphertext]: 'AAAA' },
      kmsClient: new KMSClient({ region: 'us-east-1' }),
    });
    await provider.resolve();
    expect(kms.commandCalls(DecryptCommand)[0]!.args[0].input.EncryptionContext).toEqual(context);
    expect(() => createKeyProvider(config({ type: 'kms' }), 'us-east-1', { env: {} })).toThrow(/keyId/);
  });
});
