import { randomBytes } from 'node:crypto';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { streamRecord } from '../helpers/factories.js';

const kms = mockClient(KMSClient);
const saved = { ...process.env };
afterAll(() => {
  kms.restore();
  process.env = saved;
  vi.restoreAllMocks();
});

describe('Lambda handler with a masking pipeline', () => {
  it('decrypts the KMS data key once per cold start, with the token key context, before the first batch', async () => {
    // Prepare: the environment the CDK app gives the function.
    kms.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(randomBytes(32)) });
    process.env.DYNASYNC_CONFIG = JSON.stringify({
      version: 1,
      name: 'orders',
      regions: {
        'eu-west-1': { table: 'Orders' },
        'us-east-1': { table: 'orders', endpoint: 'http://127.0.0.1:9' },
      },
      topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
      keys: { type: 'kms' },
      pipelines: {
        'us-east-1': {
          key: ['pk'],
          stages: [
            { type: 'filter', id: 'none', keyPrefix: 'nothing-matches#' },
            { type: 'mask', id: 'm', rules: [{ path: 'email', action: 'tokenize' }] },
          ],
        },
      },
    });
    process.env.DYNASYNC_REGION = 'eu-west-1';
    process.env.DYNASYNC_MASKING_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/mrk-1';
    process.env.DYNASYNC_TOKEN_KEY_CIPHERTEXT = Buffer.from('ciphertext').toString('base64');
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = await import('../../replicator/handler.js');
    const context = { getRemainingTimeInMillis: () => 10_000 };

    // Act: two invocations; the filter drops the record, so nothing is written anywhere.
    const records = [streamRecord({ newImage: { pk: { S: 'user#1' }, email: { S: 'ada@example.com' } } })];
    const first = await handler({ Records: records }, context);
    const second = await handler({ Records: records }, context);

    // Assess
    expect([first, second]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
    expect(kms.commandCalls(DecryptCommand)[0]!.args[0].input).toMatchObject({
      KeyId: 'arn:aws:kms:eu-west-1:123456789012:key/mrk-1',
      EncryptionContext: { purpose: 'dynasync-token-key', deployment: 'orders' },
    });
  });
});
