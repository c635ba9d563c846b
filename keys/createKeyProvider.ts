import { KMSClient } from '@aws-sdk/client-kms';
import type { Config } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import type { KeyProvider } from '../pipeline/types.js';
import { accountCredentials } from '../replicator/clients.js';
import { KmsKeyProvider } from './KmsKeyProvider.js';
import { DEFAULT_KEY_ENV, LocalKeyProvider } from './LocalKeyProvider.js';

/** Environment variables the CDK app sets for the KMS key provider (see `infra/constants.ts`). */
export const KmsEnv = {
  keyArn: 'DYNASYNC_MASKING_KEY_ARN',
  dataKeyCiphertext: 'DYNASYNC_TOKEN_KEY_CIPHERTEXT',
} as const;

/** Options of {@link createKeyProvider}. */
export interface KeyProviderSetup {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** A KMS client to use. @default a new client for the region's AWS region */
  readonly kmsClient?: KMSClient;
}

/**
 * The key provider the config asks for, for the given region (KMS calls go to that region's copy of
 * a multi-Region key). No `keys` section means a local key in `DYNASYNC_MASKING_KEY`. Nothing is
 * read until `resolve()`.
 * @throws DynasyncError `pipeline.keyUnavailable` when a KMS setting is missing.
 */
export const createKeyProvider = (
  config: Pick<Config, 'keys' | 'regions' | 'name'>,
  region: string,
  setup: KeyProviderSetup = {},
): KeyProvider => {
  const env = setup.env ?? process.env;
  const keys = config.keys ?? { type: 'local' as const, previous: [] };
  if (keys.type === 'local') {
    const source = keys.file !== undefined ? { file: keys.file } : { env: keys.env ?? DEFAULT_KEY_ENV };
    return new LocalKeyProvider({ source, previous: keys.previous, env });
  }
  const keyId = keys.keyId ?? env[KmsEnv.keyArn];
  const dataKeyCiphertext = keys.dataKeyCiphertext ?? env[KmsEnv.dataKeyCiphertext];
  if (keyId === undefined || dataKeyCiphertext === undefined)
    throw new DynasyncError(
      ErrorCodes.pipeline.keyUnavailable,
      `keys: a KMS key provider needs keys.keyId (or ${KmsEnv.keyArn}) and keys.dataKeyCiphertext (or ${KmsEnv.dataKeyCiphertext}); the CDK app sets both`,
      { payload: { path: 'keys' } },
    );
  const awsRegion = keys.region ?? config.regions[region]?.awsRegion ?? region;
  const regionConfig = config.regions[region];
  const credentials = regionConfig === undefined ? undefined : accountCredentials(region, regionConfig);
  return new KmsKeyProvider({
    client:
      setup.kmsClient ??
      new KMSClient({ region: awsRegion, ...(credentials === undefined ? {} : { credentials }) }),
    keyId,
    dataKeyCiphertext,
    encryptionContext: keys.encryptionContext ?? { purpose: 'dynasync-token-key', deployment: config.name },
    previous: keys.previous,
  });
};
