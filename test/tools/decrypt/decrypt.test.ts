import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import { ErrorCodes } from '../../../core/errors.js';
import { LocalKeyProvider } from '../../../keys/LocalKeyProvider.js';
import { createMaskingCrypto, encryptValue } from '../../../pipeline/maskingCrypto.js';
import { maskValue } from '../../../pipeline/maskValue.js';
import { runDecrypt } from '../../../tools/decrypt/decrypt.js';
import { runTokenize } from '../../../tools/tokenize/tokenize.js';

const config = parseConfig({
  version: 1,
  name: 'orders',
  regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders' } },
  topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
});
const keys = new LocalKeyProvider({ source: { env: 'K' }, env: { K: randomBytes(32).toString('hex') } });

describe('dynasync decrypt', () => {
  it('prints the clear value of a ciphertext argument as DynamoDB JSON, exact type and digits', async () => {
    const crypto = createMaskingCrypto(await keys.resolve());
    const printed: string[] = [];
    for (const value of [{ S: 'ada@example.com' }, { N: '12345678901234567890123456789012345678' }])
      await runDecrypt({
        config,
        region: 'us-east-1',
        value: encryptValue(value, crypto),
        keys,
        print: (line) => printed.push(line),
      });
    expect(printed).toEqual(['{"S":"ada@example.com"}', '{"N":"12345678901234567890123456789012345678"}']);
  });

  it('needs exactly one of a ciphertext and --key; a wrong ciphertext is pipeline.decryptFailed', async () => {
    await expect(runDecrypt({ config, region: 'us-east-1', keys })).rejects.toMatchObject({
      code: ErrorCodes.config.invalidField,
    });
    await expect(
      runDecrypt({ config, region: 'us-east-1', keys, value: 'dsenc1.00.AAAA', key: '{}' }),
    ).rejects.toMatchObject({
      code: ErrorCodes.config.invalidField,
    });
    await expect(
      runDecrypt({ config, region: 'us-east-1', keys, value: 'dsenc1.0011223344556677.AAAA' }),
    ).rejects.toMatchObject({
      code: ErrorCodes.pipeline.decryptFailed,
    });
  });
});

describe('dynasync tokenize', () => {
  it('prints the same token the pipeline writes, for a plain string or DynamoDB JSON', async () => {
    const crypto = createMaskingCrypto(await keys.resolve());
    const printed: string[] = [];
    await runTokenize({
      config,
      region: 'us-east-1',
      value: 'ada@example.com',
      keys,
      print: (line) => printed.push(line),
    });
    await runTokenize({
      config,
      region: 'eu-west-1',
      value: '{"N":"1.50"}',
      keys,
      print: (line) => printed.push(line),
    });
    expect(printed).toEqual([
      JSON.stringify(maskValue({ S: 'ada@example.com' }, { action: 'tokenize' }, { crypto, hashSalt: '' })),
      JSON.stringify(maskValue({ N: '1.5' }, { action: 'tokenize' }, { crypto, hashSalt: '' })),
    ]);
    expect(printed[0]).toMatch(/^\{"S":"tk1_/);
  });
});
