import { DescribeTableCommand, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { localEndpointFlags, localMissingTableHint } from '../../core/config/localEndpoint.js';
import { peersOf } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { errorMessage } from '../../core/errorMessage.js';
import { errorName } from '../../core/errorName.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { retryTransient } from '../_internals/retryTransient.js';
import { ClientEnv } from '../clients.js';

/** One key attribute of a table. */
export interface KeyAttribute {
  readonly name: string;
  /** `S`, `N` or `B`. */
  readonly type: string;
  readonly role: 'HASH' | 'RANGE';
}

/** What {@link checkTables} found out about one region's table. */
export interface CheckedTable {
  readonly region: string;
  readonly table: string;
  /** The table's current stream; absent on a one-way replica without a stream. */
  readonly streamArn: string | undefined;
  /** Partition key first, then the sort key if any. */
  readonly keys: readonly KeyAttribute[];
}

/** Why a table does not fit replication. */
export const TableProblems = {
  missing: 'missing',
  streamDisabled: 'streamDisabled',
  streamViewType: 'streamViewType',
  keySchema: 'keySchema',
} as const;
export type TableProblem = (typeof TableProblems)[keyof typeof TableProblems];

interface Finding {
  readonly region: string;
  readonly table: string;
  readonly path: string;
  readonly problem: TableProblem;
  readonly message: string;
}

const keysOf = (table: TableDescription): KeyAttribute[] => {
  const types = new Map(
    (table.AttributeDefinitions ?? []).map((definition) => [
      definition.AttributeName,
      definition.AttributeType,
    ]),
  );
  return (table.KeySchema ?? [])
    .map((element) => ({
      name: element.AttributeName ?? '',
      type: types.get(element.AttributeName) ?? '?',
      role: element.KeyType === 'RANGE' ? ('RANGE' as const) : ('HASH' as const),
    }))
    .sort((a, b) => (a.role === b.role ? 0 : a.role === 'HASH' ? -1 : 1));
};

const describeKeys = (keys: readonly KeyAttribute[]): string =>
  keys
    .map((key) => `${key.name} (${key.type}, ${key.role === 'HASH' ? 'partition key' : 'sort key'})`)
    .join(' + ') || 'no key';

const sameKeys = (a: readonly KeyAttribute[], b: readonly KeyAttribute[]): boolean =>
  a.length === b.length &&
  a.every(
    (key, index) => key.name === b[index]?.name && key.type === b[index]?.type && key.role === b[index]?.role,
  );

/** Options of {@link checkTables}. */
export interface CheckTablesOptions {
  /** Aborts the DescribeTable calls in flight and their retries (SIGINT/SIGTERM at start-up). */
  readonly signal?: AbortSignal;
  /** How long transient failures are retried. @default 60000 */
  readonly retryBudgetMs?: number;
}

const describe = async (
  config: Config,
  region: string,
  client: DynamoDBClient,
  options: CheckTablesOptions,
): Promise<TableDescription | undefined> => {
  const regionConfig = config.regions[region]!;
  const { signal } = options;
  try {
    const { Table } = await retryTransient(
      () =>
        client.send(
          new DescribeTableCommand({ TableName: regionConfig.table }),
          signal === undefined ? {} : { abortSignal: signal },
        ),
      {
        // A request that got no answer within the request timeout already waited long enough.
        isFinal: (error) => errorName(error) === 'TimeoutError',
        ...(signal === undefined ? {} : { signal }),
        ...(options.retryBudgetMs === undefined ? {} : { budgetMs: options.retryBudgetMs }),
      },
    );
    return Table;
  } catch (error) {
    if (signal?.aborted === true)
      throw new DynasyncError(
        ErrorCodes.poller.interrupted,
        `interrupted while describing table "${regionConfig.table}" of region ${region} at start-up; nothing was replicated`,
        { payload: { region, table: regionConfig.table }, cause: error },
      );
    const timedOut = errorName(error) === 'TimeoutError';
    if (errorName(error) === 'ResourceNotFoundException') return undefined;
    const where =
      regionConfig.endpoint === undefined
        ? `region ${region}`
        : `region ${region} (${regionConfig.endpoint})`;
    const credentials = [
      'AccessDeniedException',
      'UnrecognizedClientException',
      'ExpiredTokenException',
      'CredentialsProviderError',
    ].includes(errorName(error));
    throw new DynasyncError(
      ErrorCodes.config.tableUnreachable,
      `cannot describe table "${regionConfig.table}" in ${where}: ${errorName(error)}: ${errorMessage(error).replace(/\.$/, '')}. ` +
        (credentials
          ? 'Check the credentials and that the caller may call dynamodb:DescribeTable'
          : timedOut
            ? `The endpoint accepted the connection but did not answer within the request timeout (${ClientEnv.requestTimeoutMs}); check regions.${region}.endpoint and the network`
            : `Check regions.${region}.endpoint and the network; transient errors were retried for ${Math.round((options.retryBudgetMs ?? 60_000) / 1000)} s`),
      {
        payload: { region, table: regionConfig.table, path: `regions.${region}`, awsError: errorName(error) },
        cause: error,
      },
    );
  }
};

/**
 * Checks, once at start-up, that every region's table can take part in replication:
 *
 * - the table exists;
 * - every region that ships changes (all regions in active-active, the source in one-way) has a
 *   stream with view type `NEW_AND_OLD_IMAGES` (one-way replicas need no stream);
 * - every table has the same key attribute names, types and roles as the reference region (the
 *   one-way source, or the first region of the config).
 *
 * Every problem found is reported in one error.
 * @throws DynasyncError `config.tableMismatch` naming each region, table and fix; payload
 *   `{ problems: [{ region, table, path, problem }] }`.
 * @throws DynasyncError `config.tableUnreachable` when a table cannot be described (credentials,
 *   endpoint, permissions, an endpoint that does not answer within the request timeout: not retried).
 * @throws DynasyncError `poller.interrupted` when `options.signal` aborts the calls.
 * @example
 * const tables = await checkTables(config, createDynamoClients(config));
 * tables['eu-west-1']!.streamArn; // the stream `dynasync run` reads
 */
export const checkTables = async (
  config: Config,
  clients: Readonly<Record<string, DynamoDBClient>>,
  options: CheckTablesOptions = {},
): Promise<Readonly<Record<string, CheckedTable>>> => {
  const regions = Object.keys(config.regions);
  const descriptions = await Promise.all(
    regions.map((region) => {
      const client = clients[region];
      if (client === undefined) throw new Error(`checkTables: no DynamoDB client for region "${region}"`);
      return describe(config, region, client, options);
    }),
  );
  const findings: Finding[] = [];
  const checked: Record<string, CheckedTable> = {};
  regions.forEach((region, index) => {
    const table = config.regions[region]!.table;
    const path = `regions.${region}.table`;
    const description = descriptions[index];
    if (description === undefined) {
      findings.push({
        region,
        table,
        path,
        problem: TableProblems.missing,
        message: `table "${table}" does not exist; create it with the same key schema as the other regions (and a NEW_AND_OLD_IMAGES stream), e.g. \`dynasync tables create --config FILE${localEndpointFlags(config.regions)}\`, or fix ${path}${localMissingTableHint(config.regions[region]!.endpoint)}`,
      });
      return;
    }
    const stream = description.StreamSpecification;
    const streamArn = stream?.StreamEnabled === true ? description.LatestStreamArn : undefined;
    if (peersOf(config, region).length > 0) {
      if (streamArn === undefined) {
        findings.push({
          region,
          table,
          path,
          problem: TableProblems.streamDisabled,
          message:
            `table "${table}" has no stream; enable one with view type NEW_AND_OLD_IMAGES ` +
            `(aws dynamodb update-table --table-name ${table} --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES)`,
        });
      } else if (stream?.StreamViewType !== 'NEW_AND_OLD_IMAGES') {
        findings.push({
          region,
          table,
          path,
          problem: TableProblems.streamViewType,
          message:
            `the stream of table "${table}" has view type ${stream?.StreamViewType ?? 'unknown'}; dynasync needs NEW_AND_OLD_IMAGES. ` +
            'A stream cannot change its view type: disable the stream, then enable it with NEW_AND_OLD_IMAGES (dynasync run starts on the new stream)',
        });
      }
    }
    checked[region] = { region, table, streamArn, keys: keysOf(description) };
  });

  const reference =
    config.topology.type === 'one-way' && checked[config.topology.from] !== undefined
      ? checked[config.topology.from]
      : Object.values(checked)[0];
  if (reference !== undefined) {
    for (const table of Object.values(checked)) {
      if (table === reference || sameKeys(table.keys, reference.keys)) continue;
      // A peer whose pipeline maps items to another key (pipelines.<peer>.targetKey) has its own key schema.
      if (config.pipelines[table.region]?.targetKey !== undefined) continue;
      findings.push({
        region: table.region,
        table: table.table,
        path: `regions.${table.region}.table`,
        problem: TableProblems.keySchema,
        message:
          `table "${table.table}" has key ${describeKeys(table.keys)}, but "${reference.table}" in ${reference.region} has ${describeKeys(reference.keys)}; ` +
          'every region needs the same key names and types: recreate the table with the matching key schema',
      });
    }
  }

  if (findings.length > 0) {
    const lines = findings
      .map((finding) => `  ${finding.path} (${finding.region}): ${finding.message}`)
      .join('\n');
    throw new DynasyncError(ErrorCodes.config.tableMismatch, `the tables do not fit replication:\n${lines}`, {
      payload: {
        path: findings[0]!.path,
        problems: findings.map(({ region, table, path, problem }) => ({ region, table, path, problem })),
      },
    });
  }
  return checked;
};
