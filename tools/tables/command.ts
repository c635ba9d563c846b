import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Command } from 'commander';
import { loadConfigFile } from '../../core/config/loadConfig.js';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import {
  DEFAULT_CONFIG_FILE,
  type EndpointOverride,
  exitCodesHelp,
  withEndpointOption,
  withEndpoints,
} from '../_shared/cliOptions.js';
import { createReadClients } from '../_shared/createReadClients.js';
import { findTable } from '../_shared/describeTable.js';
import { DEFAULT_RETRY } from '../_shared/withRetries.js';
import { createReplicatedTable } from '../tables.js';
import {
  describeKeySpec,
  parseKeyOption,
  planTables,
  resolveKeySpec,
  toExistingTable,
} from './planTables.js';
import type { ExistingTable, KeySource, TablePlan } from './types.js';

/** The parsed options of `dynasync tables create`. */
export interface TablesCreateOptions {
  /** `NAME:TYPE`, e.g. `pk:S`. @default the config's `deploy.table`, else an existing table's key */
  readonly partitionKey?: string;
  /** `NAME:TYPE`, e.g. `sk:N`. @default no sort key */
  readonly sortKey?: string;
}

/** What `dynasync tables create` did. */
export interface TablesCreateReport {
  readonly keySource: KeySource;
  readonly plans: readonly TablePlan[];
}

/**
 * `dynasync tables create`: creates every missing table of a config (key schema, a
 * NEW_AND_OLD_IMAGES stream, TTL on the tombstone expiry attribute) and reports the others as
 * fitting. Nothing is created unless every existing table fits; running it again changes nothing.
 * @throws DynasyncError `config.tableMismatch` naming each table that does not fit and why (exit 2);
 *   `tables.invalidOption`, `tables.noKeySchema`, `config.tableUnreachable`, `tables.createFailed`.
 */
export const runTablesCreate = async (
  config: Config,
  options: TablesCreateOptions,
  io: {
    readonly print?: (line: string) => void;
    readonly clients?: Readonly<Record<string, DynamoDBClient>>;
  } = {},
): Promise<TablesCreateReport> => {
  const print = io.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const keyOptions = {
    ...(options.partitionKey === undefined
      ? {}
      : { partitionKey: parseKeyOption(options.partitionKey, '--partition-key') }),
    ...(options.sortKey === undefined ? {} : { sortKey: parseKeyOption(options.sortKey, '--sort-key') }),
  };
  const owned = io.clients === undefined ? createReadClients(config) : undefined;
  const clients = io.clients ?? owned!;
  try {
    const regions = Object.keys(config.regions);
    const found = await Promise.all(
      regions.map((region) =>
        findTable('tables create', clients[region]!, region, config.regions[region]!.table, DEFAULT_RETRY),
      ),
    );
    const existing: Record<string, ExistingTable | undefined> = Object.fromEntries(
      regions.map((region, index) => {
        const table = found[index];
        return [region, table === undefined ? undefined : toExistingTable(table.table, table.ttlAttribute)];
      }),
    );
    const { keys, source } = resolveKeySpec(config, keyOptions, existing);
    const plans = planTables(config, keys, existing);
    const misfits = plans.filter((plan) => plan.action === 'misfit');
    if (misfits.length > 0) {
      const lines = misfits.map(
        (plan) =>
          `regions.${plan.region}.table "${plan.table}" (${plan.region}): ${plan.mismatches.join('; ')}`,
      );
      throw new DynasyncError(
        ErrorCodes.config.tableMismatch,
        `${misfits.length === 1 ? 'a table does' : `${misfits.length} tables do`} not fit, nothing was created: ${lines.join(' | ')}`,
        {
          payload: {
            path: `regions.${misfits[0]!.region}.table`,
            problems: misfits.map(({ region, table }) => ({ region, table })),
          },
        },
      );
    }
    for (const plan of plans) {
      if (plan.action === 'create') {
        await createReplicatedTable(clients[plan.region]!, plan.table, plan.keys, plan.ttlAttribute).catch(
          (cause: unknown) => {
            const error = cause as Error;
            throw new DynasyncError(
              ErrorCodes.tables.createFailed,
              `cannot create table "${plan.table}" in region ${plan.region} (${error.name}: ${error.message}); check the credentials (dynamodb:CreateTable, UpdateTimeToLive) and regions.${plan.region}.endpoint, then run it again: tables already created are kept and reported as fitting`,
              { payload: { region: plan.region, table: plan.table, awsError: error.name }, cause },
            );
          },
        );
        print(
          `${plan.region}: table "${plan.table}" created: key ${describeKeySpec(plan.keys.sortKey === undefined ? [plan.keys.partitionKey] : [plan.keys.partitionKey, plan.keys.sortKey])} (from the ${source}), stream NEW_AND_OLD_IMAGES, TTL on ${plan.ttlAttribute}`,
        );
      } else if (plan.action === 'fits') {
        print(`${plan.region}: table "${plan.table}" exists, fits`);
        for (const note of plan.notes) print(`  note: ${note}`);
      }
    }
    return { keySource: source, plans };
  } finally {
    for (const client of Object.values(owned ?? {})) client.destroy();
  }
};

const TABLES_EXIT_CODES = exitCodesHelp({
  0: 'every table exists and fits (created now or before)',
  2: 'usage or config error, a table that does not fit its config, or a failed CreateTable',
});

/** Registers `dynasync tables create`. */
export const addTablesCommand = (program: Command): void => {
  const tables = program
    .command('tables')
    .description("create a config's tables (key schema, NEW_AND_OLD_IMAGES stream, TTL)")
    .addHelpText('after', TABLES_EXIT_CODES);
  const create = tables
    .command('create')
    .description(
      'create every missing table of the config; existing tables that fit are left alone, one that does not fit stops it (exit 2)',
    )
    .addHelpText('after', TABLES_EXIT_CODES)
    .option('-c, --config <file>', 'the dynasync config file (JSON)', DEFAULT_CONFIG_FILE)
    .option(
      '--partition-key <name:type>',
      "partition key, e.g. pk:S (default: the config's deploy.table, else an existing table's key)",
    )
    .option('--sort-key <name:type>', 'sort key, e.g. sk:N (default: none)');
  withEndpointOption(create).action(
    async (options: {
      config: string;
      partitionKey?: string;
      sortKey?: string;
      endpointUrl?: EndpointOverride[];
    }) => {
      const config = withEndpoints('tables create', loadConfigFile(options.config), options.endpointUrl);
      await runTablesCreate(config, {
        ...(options.partitionKey === undefined ? {} : { partitionKey: options.partitionKey }),
        ...(options.sortKey === undefined ? {} : { sortKey: options.sortKey }),
      });
      process.exitCode = 0;
    },
  );
};
