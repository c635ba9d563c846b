export type { MergeConflictConfig } from './conflictSchema.js';
export { conflictIssues, conflictSchema } from './conflictSchema.js';
export { deploySchema } from './deploySchema.js';
export { CONFIG_ENV, loadConfigFile, loadConfigFromEnv, parseConfig } from './loadConfig.js';
export { ATTRIBUTE_PATH, keysSchema, pipelineSchema, stageSchema } from './pipelineSchema.js';
export type { ConfigInput } from './schema.js';
export { configSchema } from './schema.js';
export type { MetadataNames } from './topology.js';
export { metadataNames, metadataNamesFor, peersOf } from './topology.js';
export type {
  Config,
  ConfigIssue,
  DeployConfig,
  KeysConfig,
  PipelineConfig,
  RegionConfig,
  ReplicatorOptions,
  StageConfig,
} from './types.js';
