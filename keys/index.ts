export type { KeyProviderSetup } from './createKeyProvider.js';
export { createKeyProvider, KmsEnv } from './createKeyProvider.js';
export type { KmsKeyProviderProps } from './KmsKeyProvider.js';
export { KmsKeyProvider } from './KmsKeyProvider.js';
export type { LocalKeyProviderProps, LocalKeySource } from './LocalKeyProvider.js';
export { DEFAULT_KEY_ENV, LocalKeyProvider, parseKeyText } from './LocalKeyProvider.js';
