// Types the signatures above name, owned by dynasync/core and dynasync/pipeline.
export type { Config } from '../core/config/types.js';
export type { KeyProvider, KeyRing } from '../pipeline/types.js';
export type { KeyProviderSetup } from './createKeyProvider.js';
export { createKeyProvider, KmsEnv } from './createKeyProvider.js';
export type { KmsKeyProviderProps } from './KmsKeyProvider.js';
export { KmsKeyProvider } from './KmsKeyProvider.js';
export type { KeyHasher, KeyHasherSetup } from './keyHasher.js';
export { KEY_HASH_SALT_FILE, keyHasherOf, resolveKeyHasher } from './keyHasher.js';
export type { LocalKeyProviderProps, LocalKeySource } from './LocalKeyProvider.js';
export { DEFAULT_KEY_ENV, LocalKeyProvider, parseKeyText } from './LocalKeyProvider.js';
