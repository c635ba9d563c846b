import type { Config } from '../../core/config/types.js';
import { MigrateErrorCodes, migrateError } from './errors.js';

/** The names the migration's two tables go by, as regions of a one-way deployment. */
export const MigrateRegions = { source: 'migrate-source', target: 'migrate-target' } as const;

/**
 * The `migrate` section seen as a one-way deployment `migrate-source → migrate-target` (same
 * region or not), so backfill, verify and the stream poller run on it unchanged. The tables'
 * endpoints and signing regions come from the regions the section names. Checkpoints of the
 * stream go to `<checkpointDir>/checkpoint-migrate-source.json`.
 * @throws DynasyncError `migrate.invalidConfig` when the section is missing or names an unknown region.
 */
export const migrationConfig = (config: Config): Config => {
  const section = config.migrate;
  if (section === undefined)
    throw migrateError(
      MigrateErrorCodes.invalidConfig,
      'migrate: the config has no "migrate" section; add {"source":{"region","table"},"target":{"region","table"},"transform":"./transform.mjs"}',
    );
  const regionOf = (side: 'source' | 'target') => {
    const { region, table } = section[side];
    const entry = config.regions[region];
    if (entry === undefined)
      throw migrateError(
        MigrateErrorCodes.invalidConfig,
        `migrate.${side}.region: "${region}" is not a key of "regions" (${Object.keys(config.regions).join(', ')})`,
        { path: `migrate.${side}.region` },
      );
    return { ...entry, table, awsRegion: entry.awsRegion ?? region };
  };
  const { migrate: _migrate, ...rest } = config;
  return {
    ...rest,
    regions: { [MigrateRegions.source]: regionOf('source'), [MigrateRegions.target]: regionOf('target') },
    topology: { type: 'one-way', from: MigrateRegions.source, to: [MigrateRegions.target] },
  };
};
