import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { metadataNames, peersOf } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { ExistingTable, KeyAttributeSpec, KeySource, KeySpec, TablePlan } from './types.js';

const KEY_TYPES = ['S', 'N', 'B'] as const;

/**
 * Parses a key option such as `pk:S` or `sk:N` (`--partition-key`, `--sort-key`).
 * @throws DynasyncError `tables.invalidOption` naming the option and the expected form.
 */
export const parseKeyOption = (text: string, option: string): KeyAttributeSpec => {
  const at = text.lastIndexOf(':');
  const name = at === -1 ? '' : text.slice(0, at);
  const type = at === -1 ? '' : text.slice(at + 1).toUpperCase();
  if (name === '' || name.length > 255 || !(KEY_TYPES as readonly string[]).includes(type))
    throw new DynasyncError(
      ErrorCodes.tables.invalidOption,
      `${option} "${text}" is not NAME:TYPE with TYPE S, N or B (e.g. ${option} pk:S)`,
      { payload: { option } },
    );
  return { name, type: type as KeyAttributeSpec['type'] };
};

/** Reduces a DescribeTable answer (and the TTL setting) to what {@link planTables} compares. */
export const toExistingTable = (table: TableDescription, ttlAttribute: string | undefined): ExistingTable => {
  const types = new Map((table.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]));
  const schema = table.KeySchema ?? [];
  const keys = ['HASH', 'RANGE'].flatMap((role) => {
    const name = schema.find((element) => element.KeyType === role)?.AttributeName;
    return name === undefined ? [] : [{ name, type: types.get(name) ?? '?' }];
  });
  const stream = table.StreamSpecification;
  return {
    keys,
    streamViewType: stream?.StreamEnabled === true ? (stream.StreamViewType ?? 'unknown') : undefined,
    ttlAttribute,
  };
};

const keyList = (keys: KeySpec): readonly KeyAttributeSpec[] =>
  keys.sortKey === undefined ? [keys.partitionKey] : [keys.partitionKey, keys.sortKey];

/** `pk (S, partition key) + sk (N, sort key)`. */
export const describeKeySpec = (keys: readonly { readonly name: string; readonly type: string }[]): string =>
  keys
    .map((key, index) => `${key.name} (${key.type}, ${index === 0 ? 'partition key' : 'sort key'})`)
    .join(' + ') || 'no key';

const sameKeySpec = (a: KeySpec, b: KeySpec): boolean =>
  describeKeySpec(keyList(a)) === describeKeySpec(keyList(b));

const specOf = (table: ExistingTable): KeySpec | undefined => {
  const [partitionKey, sortKey] = table.keys;
  const valid = (key: { name: string; type: string } | undefined): key is KeyAttributeSpec =>
    key !== undefined && (KEY_TYPES as readonly string[]).includes(key.type);
  if (!valid(partitionKey)) return undefined;
  if (sortKey === undefined) return { partitionKey };
  return valid(sortKey) ? { partitionKey, sortKey } : undefined;
};

/** The key options of `dynasync tables create`, parsed. */
export interface KeyOptions {
  readonly partitionKey?: KeyAttributeSpec;
  readonly sortKey?: KeyAttributeSpec;
}

/**
 * The key schema the tables get, in this order: the command's options; the config's
 * `deploy.table` (mode `create`); an existing table of the config (the one-way source, else the
 * first region's that exists). Options that contradict `deploy.table` are an error, not a silent pick.
 * @throws DynasyncError `tables.invalidOption` (sort key without partition key, options contradict the config),
 *   `tables.noKeySchema` when nothing says what the key is.
 */
export const resolveKeySpec = (
  config: Config,
  options: KeyOptions,
  existing: Readonly<Record<string, ExistingTable | undefined>>,
): { readonly keys: KeySpec; readonly source: KeySource } => {
  const table = config.deploy?.table;
  const fromConfig: KeySpec | undefined =
    table?.mode === 'create'
      ? {
          partitionKey: table.partitionKey,
          ...(table.sortKey === undefined ? {} : { sortKey: table.sortKey }),
        }
      : undefined;
  if (options.partitionKey === undefined && options.sortKey !== undefined)
    throw new DynasyncError(
      ErrorCodes.tables.invalidOption,
      '--sort-key needs --partition-key too (e.g. --partition-key pk:S --sort-key sk:N)',
      { payload: { option: '--sort-key' } },
    );
  if (options.partitionKey !== undefined) {
    const keys: KeySpec = {
      partitionKey: options.partitionKey,
      ...(options.sortKey === undefined ? {} : { sortKey: options.sortKey }),
    };
    if (fromConfig !== undefined && !sameKeySpec(keys, fromConfig))
      throw new DynasyncError(
        ErrorCodes.tables.invalidOption,
        `the key options (${describeKeySpec(keyList(keys))}) contradict deploy.table of the config (${describeKeySpec(keyList(fromConfig))}); drop the options or fix deploy.table`,
        { payload: { path: 'deploy.table' } },
      );
    return { keys, source: 'options' };
  }
  if (fromConfig !== undefined) return { keys: fromConfig, source: 'config' };
  const regions = Object.keys(config.regions);
  const order =
    config.topology.type === 'one-way'
      ? [config.topology.from, ...regions.filter((r) => r !== (config.topology as { from: string }).from)]
      : regions;
  for (const region of order) {
    const found = existing[region];
    if (found === undefined || config.pipelines[region]?.targetKey !== undefined) continue;
    const keys = specOf(found);
    if (keys !== undefined) return { keys, source: 'existing table' };
  }
  throw new DynasyncError(
    ErrorCodes.tables.noKeySchema,
    'no key schema: pass --partition-key NAME:TYPE (and --sort-key NAME:TYPE), or set deploy.table to {"mode":"create","partitionKey":{"name":"pk","type":"S"}} in the config',
    { payload: { path: 'deploy.table' } },
  );
};

/**
 * Decides, for each region of the config, whether its table is created, fits as it is, or does not
 * fit. A table fits when it has the key schema (names, types, order) and, if the region ships
 * changes (every region in active-active, the source in one-way), a `NEW_AND_OLD_IMAGES` stream.
 * TTL on another attribute or off is a note, not a misfit: only tombstone clean-up depends on it.
 * A region whose pipeline maps to another key (`pipelines.<region>.targetKey`) is checked for those
 * key names, and never created (the config does not say their types).
 */
export const planTables = (
  config: Config,
  keys: KeySpec,
  existing: Readonly<Record<string, ExistingTable | undefined>>,
): TablePlan[] => {
  const ttlAttribute = metadataNames(config).expires;
  return Object.entries(config.regions).map(([region, { table }]): TablePlan => {
    const found = existing[region];
    const targetKey = config.pipelines[region]?.targetKey;
    if (found === undefined) {
      if (targetKey !== undefined)
        return {
          action: 'misfit',
          region,
          table,
          mismatches: [
            `table "${table}" does not exist and its key comes from pipelines.${region}.targetKey (${targetKey.join(', ')}), whose types the config does not give; create it yourself with a NEW_AND_OLD_IMAGES stream`,
          ],
        };
      return { action: 'create', region, table, keys, ttlAttribute };
    }
    const mismatches: string[] = [];
    if (targetKey !== undefined) {
      const names = found.keys.map((key) => key.name);
      if (names.join('\0') !== targetKey.join('\0'))
        mismatches.push(
          `key is ${describeKeySpec(found.keys)}, but pipelines.${region}.targetKey says ${targetKey.join(' + ')}`,
        );
    } else if (describeKeySpec(found.keys) !== describeKeySpec(keyList(keys))) {
      mismatches.push(`key is ${describeKeySpec(found.keys)}, expected ${describeKeySpec(keyList(keys))}`);
    }
    if (peersOf(config, region).length > 0) {
      if (found.streamViewType === undefined)
        mismatches.push(
          `no stream, and region ${region} ships changes: enable one with view type NEW_AND_OLD_IMAGES (aws dynamodb update-table --table-name ${table} --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES)`,
        );
      else if (found.streamViewType !== 'NEW_AND_OLD_IMAGES')
        mismatches.push(
          `stream view type is ${found.streamViewType}, dynasync needs NEW_AND_OLD_IMAGES: disable the stream, then enable it with NEW_AND_OLD_IMAGES`,
        );
    }
    if (mismatches.length > 0) return { action: 'misfit', region, table, mismatches };
    const notes =
      found.ttlAttribute === ttlAttribute
        ? []
        : [
            found.ttlAttribute === undefined
              ? `TTL is off, so tombstones are never removed: aws dynamodb update-time-to-live --table-name ${table} --time-to-live-specification Enabled=true,AttributeName=${ttlAttribute}`
              : `TTL is on "${found.ttlAttribute}", not on the tombstone expiry attribute "${ttlAttribute}", so tombstones are never removed`,
          ];
    return { action: 'fits', region, table, notes };
  });
};
