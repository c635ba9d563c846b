import type { z } from 'zod';
import type { deploySchema } from './deploySchema.js';
import type { configSchema } from './schema.js';

type Parsed = z.output<typeof configSchema>;

/** One problem found in a config: the dotted field path and what to do about it. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** A validated config with every default applied. Read by the CLI, the Lambda and the CDK app. */
export interface Config extends Parsed {
  /** Short digest of the config's content, recorded with dead letters ("which config failed this"). */
  readonly configVersion: string;
}

/** One region's entry of the config. */
export type RegionConfig = Parsed['regions'][string];

/** The replicator's tuning options with defaults applied. */
export type ReplicatorOptions = Parsed['replicator'];

/** The `deploy` section with defaults applied; `infra/` treats an absent section as all defaults. */
export type DeployConfig = z.output<typeof deploySchema>;

/** The pipeline of one peer region, with defaults applied. */
export type PipelineConfig = Parsed['pipelines'][string];

/** One stage of a pipeline. */
export type StageConfig = PipelineConfig['stages'][number];

/** Where the masking key comes from. */
export type KeysConfig = NonNullable<Parsed['keys']>;
