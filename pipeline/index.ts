// Types the signatures above name, owned by dynasync/core.
export type { Config, PipelineConfig, StageConfig } from '../core/config/types.js';
export type { AttributeValue, Item } from '../core/types.js';
export type { PathSegment, Rewrite } from './attributePath.js';
export { parsePath, rewritePath, valuesAt } from './attributePath.js';
export { compileFilter } from './compileFilter.js';
export { compileMap } from './compileMap.js';
export { compileMask } from './compileMask.js';
export type { MaskAction } from './constants.js';
export { MaskActions, MaskFormats, METADATA_MARGIN_BYTES, StageTypes } from './constants.js';
export { createPipeline } from './createPipeline.js';
export { deriveChange } from './deriveChange.js';
export type { MaskingCrypto } from './maskingCrypto.js';
export {
  canonicalBytes,
  createKeyRing,
  createMaskingCrypto,
  dataKeyId,
  decryptText,
  decryptValue,
  encryptValue,
  isCiphertext,
  saltedHash,
} from './maskingCrypto.js';
export type { MaskEnvironment, MaskRule } from './maskValue.js';
export { maskValue } from './maskValue.js';
export type {
  CompiledStage,
  CreatePipelineOptions,
  DataKey,
  DerivedChange,
  KeyProvider,
  KeyRing,
  ModuleLoader,
  Pipeline,
  PipelineContext,
  TransformFunction,
} from './types.js';
