import { randomBytes } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/loadConfig.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { tokenKeyEncryptionContext } from '../../infra/constants.js';
import { createKeyProvider, KmsEnv } from '../../keys/createKeyProvider.js';
import { KmsKeyProvider } from '../../keys/KmsKeyProvider.js';
import { LocalKeyProvider } from '../../keys/LocalKeyProvider.js';
import { createMaskingCrypto, dataKeyId } from '../../pipeline/maskingCrypto.js';
import { type MotoServer, motoAvailableOrWarn, motoClientConfig, startMoto } from '../helpers/motoServer.js';

/**
 * The KMS key provider against a real KMS wire protocol (moto_server): keys, data keys and
 * ciphertexts are made by KMS, and the provider's Decrypt must match them — key id, encryption
 * context and all.
 */

const REGION = 'eu-west-1';
const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** A config whose `keys` section asks for KMS (`name` is part of the default encryption context). */
const kmsConfig = (name: string, keys: Record<string, unknown> = {}) =>
  parseConfig({
    version: 1,
    name,
    regions: { [REGION]: { table: 'orders' }, 'us-east-1': { table: 'orders' } },
    topology: { type: 'one-way', from: REGION, to: ['us-east-1'] },
    keys: { type: 'kms', ...keys },
  });

describe.skipIf(!motoAvailableOrWarn())('KmsKeyProvider on moto_server', () => {
  let moto: MotoServer;
  let kms: KMSClient;
  let keyArn: string;

  beforeAll(async () => {
    moto = await startMoto();
    console.info(`moto_server answered after ${moto.startAttempts} GET(s), ${moto.startupMs} ms`);
    kms = new KMSClient(motoClientConfig(moto, REGION));
    // A symmetric key with the CDK app's alias. The app makes a multi-Region key; moto 5.2 cannot
    // decrypt under one (its ciphertext format assumes 36-character key ids, "mrk-…" ids have 40),
    // and what Decrypt checks — key, context, ciphertext — is the same for both kinds.
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({ Description: 'dynasync orders: masking key' }),
    );
    keyArn = KeyMetadata!.Arn!;
    await kms.send(
      new CreateAliasCommand({ AliasName: 'alias/dynasync/orders/masking', TargetKeyId: keyArn }),
    );
  });
  afterAll(async () => {
    kms?.destroy();
    await moto?.stop();
  });

  it('decrypts a GenerateDataKey data key made with the dynasync encryption context', async () => {
    // Prepare
    const { Plaintext, CiphertextBlob } = await kms.send(
      new GenerateDataKeyCommand({
        KeyId: keyArn,
        KeySpec: 'AES_256',
        EncryptionContext: tokenKeyEncryptionContext('orders'),
      }),
    );
    const provider = createKeyProvider(
      kmsConfig('orders', { keyId: keyArn, dataKeyCiphertext: base64(CiphertextBlob!) }),
      REGION,
      { kmsClient: kms, env: {} },
    );

    // Act
    const ring = await provider.resolve();

    // Assess
    expect(ring.current.id).toBe(dataKeyId(Plaintext!));
    expect(Buffer.from(ring.current.material)).toEqual(Buffer.from(Plaintext!));
  });

  it("takes the CDK's way: GenerateDataKeyWithoutPlaintext, key ARN and ciphertext from the Lambda environment", async () => {
    const { CiphertextBlob } = await kms.send(
      new GenerateDataKeyWithoutPlaintextCommand({
        KeyId: 'alias/dynasync/orders/masking',
        KeySpec: 'AES_256',
        EncryptionContext: tokenKeyEncryptionContext('orders'),
      }),
    );
    const env = { [KmsEnv.keyArn]: keyArn, [KmsEnv.dataKeyCiphertext]: base64(CiphertextBlob!) };
    const { Plaintext } = await kms.send(
      new DecryptCommand({ CiphertextBlob, EncryptionContext: tokenKeyEncryptionContext('orders') }),
    );

    const ring = await createKeyProvider(kmsConfig('orders'), REGION, { kmsClient: kms, env }).resolve();

    expect(ring.current.id).toBe(dataKeyId(Plaintext!));
  });

  it('decrypts Encrypt ciphertexts too (through the alias), with previous data keys after a rotation', async () => {
    const context = tokenKeyEncryptionContext('orders');
    const current = new Uint8Array(randomBytes(32));
    const old = new Uint8Array(randomBytes(32));
    const encrypt = async (plaintext: Uint8Array) =>
      base64(
        (
          await kms.send(
            new EncryptCommand({ KeyId: keyArn, Plaintext: plaintext, EncryptionContext: context }),
          )
        ).CiphertextBlob!,
      );
    const provider = new KmsKeyProvider({
      client: kms,
      keyId: 'alias/dynasync/orders/masking',
      dataKeyCiphertext: await encrypt(current),
      encryptionContext: context,
      previous: [await encrypt(old)],
    });

    const ring = await provider.resolve();

    expect(ring.all.map((key) => key.id)).toEqual([dataKeyId(current), dataKeyId(old)]);
    // The same data key held locally gives the same tokens: regions that share it agree.
    const local = await new LocalKeyProvider({
      source: { env: 'KEY' },
      env: { KEY: base64(current) },
    }).resolve();
    expect(createMaskingCrypto(ring).tokenText('alice@example.com', 'hex')).toBe(
      createMaskingCrypto(local).tokenText('alice@example.com', 'hex'),
    );
  });

  it('fails with pipeline.keyUnavailable when the encryption context is not the one the data key was made with', async () => {
    // Prepare: made for deployment "orders", read by a deployment named "payments".
    const { CiphertextBlob } = await kms.send(
      new GenerateDataKeyCommand({
        KeyId: keyArn,
        KeySpec: 'AES_256',
        EncryptionContext: tokenKeyEncryptionContext('orders'),
      }),
    );
    const provider = createKeyProvider(
      kmsConfig('payments', { keyId: keyArn, dataKeyCiphertext: base64(CiphertextBlob!) }),
      REGION,
      { kmsClient: kms, env: {} },
    );

    // Act
    const error = await provider.resolve().catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(DynasyncError);
    expect(error).toMatchObject({
      code: ErrorCodes.pipeline.keyUnavailable,
      payload: { keyId: keyArn, which: 'current' },
    });
    expect((error as DynasyncError).cause).toMatchObject({ name: 'InvalidCiphertextException' });
  });

  it('fails with pipeline.keyUnavailable when the data key is under another KMS key than the one named', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'another key' }));
    const { CiphertextBlob } = await kms.send(
      new GenerateDataKeyCommand({
        KeyId: KeyMetadata!.Arn!,
        KeySpec: 'AES_256',
        EncryptionContext: tokenKeyEncryptionContext('orders'),
      }),
    );
    const provider = new KmsKeyProvider({
      client: kms,
      keyId: keyArn,
      dataKeyCiphertext: base64(CiphertextBlob!),
      encryptionContext: tokenKeyEncryptionContext('orders'),
    });

    await expect(provider.resolve()).rejects.toMatchObject({ code: ErrorCodes.pipeline.keyUnavailable });
  });
});
