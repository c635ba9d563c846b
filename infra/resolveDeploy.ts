import { deploySchema } from '../core/config/deploySchema.js';
import { peersOf } from '../core/config/topology.js';
import type { Config, DeployConfig } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';

/** The event source mapping settings with the fallbacks to `replicator.*` applied. */
export type EventSourceSettings = Omit<DeployConfig['eventSource'], 'batchSize' | 'startingPosition'> & {
  readonly batchSize: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
};

/** Everything the CDK app reads from a config's `deploy` section, every default applied. */
export type DeploySettings = Omit<DeployConfig, 'eventSource' | 'kmsPrimaryRegion'> & {
  readonly eventSource: EventSourceSettings;
  /** Region of the multi-Region key's primary (its stack deploys first). */
  readonly kmsPrimaryRegion: string;
};

/**
 * Resolves the `deploy` section of a config: an absent section is all defaults, the mapping's batch
 * size and starting position fall back to `replicator.batchSize` / `replicator.startingPosition`,
 * and the KMS primary falls back to the first region.
 */
export const resolveDeploy = (config: Config): DeploySettings => {
  const deploy = config.deploy ?? deploySchema.parse({});
  const { kmsPrimaryRegion, eventSource, ...rest } = deploy;
  return {
    ...rest,
    kmsPrimaryRegion: kmsPrimaryRegion ?? Object.keys(config.regions)[0]!,
    eventSource: {
      ...eventSource,
      batchSize: eventSource.batchSize ?? config.replicator.batchSize,
      startingPosition: eventSource.startingPosition ?? config.replicator.startingPosition,
    },
  };
};

/** The regions that ship their changes to `region` (the inverse of `peersOf`). */
export const sourcesOf = (config: Config, region: string): string[] =>
  Object.keys(config.regions).filter((name) => peersOf(config, name).includes(region));

/**
 * The config document the replicator function receives in `DYNASYNC_CONFIG`: the validated config
 * (defaults applied, so the function runs with what was synthesised) without `deploy`, which only
 * the CDK app reads, and without the derived `configVersion` (the loader computes it again).
 *
 * A deployed function always dead-letters to its stack's queue (`DYNASYNC_DLQ_URL`): a `file`
 * dead-letter sink (for `dynasync run`) becomes `{ "type": "sqs" }` with the sink's defaults, and an
 * SQS sink loses `overflowDir` (a Lambda's file system is read-only, and `/tmp` does not outlive it:
 * a letter too large for a message goes without its record, counted by `DeadLetterOversize`).
 */
export const lambdaConfigDocument = (config: Config): string => {
  const { configVersion: _version, deploy: _deploy, ...document } = config;
  let deadLetter: Record<string, unknown> = { type: 'sqs' };
  if (config.deadLetter.type === 'sqs') {
    const { overflowDir: _overflow, ...sqs } = config.deadLetter;
    deadLetter = sqs;
  }
  return JSON.stringify({ ...document, deadLetter });
};

/**
 * The config document the scale-out worker receives in `DYNASYNC_CONFIG` (the `DynasyncScaleout`
 * construct's `config` prop): the validated config without `deploy` and the derived `configVersion`,
 * nothing else changed, so the version the worker computes from it is the one `dynasync verify` /
 * `backfill` compute from the file and write into a job's spec (a worker refuses another version).
 * @throws DynasyncError `config.invalidField` when the config names a module the worker would have to
 *   load (a map stage, a merge module): the worker does not bundle user modules, and a merge module's
 *   path, resolved against the config file's folder, would change the version
 */
export const workerConfigDocument = (config: Config): string => {
  const modules = [
    ...(config.conflict.strategy === 'merge' && config.conflict.module !== undefined
      ? ['conflict.module']
      : []),
    ...Object.entries(config.pipelines).flatMap(([peer, pipeline]) =>
      pipeline.stages.flatMap((stage, index) =>
        stage.type === 'map' ? [`pipelines.${peer}.stages[${index}].module`] : [],
      ),
    ),
  ];
  if (modules.length > 0)
    throw new DynasyncError(
      ErrorCodes.config.invalidField,
      `${modules.join(', ')}: the scale-out worker does not load user modules yet; run verify and backfill of this config with --engine local`,
      { payload: { path: modules[0] } },
    );
  const { configVersion: _version, deploy: _deploy, ...document } = config;
  return JSON.stringify(document);
};
