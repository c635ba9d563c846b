import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { localMissingTableHint } from '../../core/config/localEndpoint.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { toolError } from './toolError.js';
import { type RetryPolicy, withRetries } from './withRetries.js';

/** What the tools need to know of a table. */
export interface TableInfo {
  /** Key attribute names: the partition key, then the sort key when there is one. */
  readonly keyNames: readonly string[];
  /** Items by DescribeTable (approximate, refreshed by DynamoDB every ~6 h). */
  readonly itemCount: number;
  /** Bytes the table holds by DescribeTable (`TableSizeBytes`, approximate like `itemCount`); 0 when unknown. */
  readonly sizeBytes: number;
}

/** The endpoint a client was given (`http://127.0.0.1:8000`), or undefined for the AWS endpoint. */
export const endpointOf = async (client: DynamoDBClient): Promise<string | undefined> => {
  if (client.config.isCustomEndpoint !== true || client.config.endpoint === undefined) return undefined;
  const endpoint = await client.config.endpoint();
  return `${endpoint.protocol}//${endpoint.hostname}${endpoint.port === undefined ? '' : `:${endpoint.port}`}`;
};

const unreachable = async (
  tool: string,
  client: DynamoDBClient,
  region: string,
  tableName: string,
  cause: unknown,
): Promise<DynasyncError> => {
  const error = cause as Error;
  const hint =
    error.name === 'ResourceNotFoundException' ? localMissingTableHint(await endpointOf(client)) : '';
  return new DynasyncError(
    ErrorCodes.tableUnreachable,
    `${tool}: cannot describe table "${tableName}" of region ${region} (${error.name}: ${error.message}); check regions.${region}.table, its endpoint and the credentials${hint}`,
    { payload: { region, table: tableName, awsError: error.name }, cause },
  );
};

const notFound = (error: unknown): boolean => (error as Error).name === 'ResourceNotFoundException';

/** A table's description and its TTL setting, as {@link findTable} reads them. */
export interface FoundTable {
  readonly table: TableDescription;
  /** The TTL attribute when TTL is enabled (or being enabled); undefined when it is off. */
  readonly ttlAttribute: string | undefined;
}

/**
 * Describes a table and its TTL (retrying transient failures), for a tool that handles a missing
 * table itself (`tables create`).
 * @returns undefined when the table does not exist.
 * @throws DynasyncError `config.tableUnreachable` for any other failure (credentials, endpoint).
 */
export const findTable = async (
  tool: string,
  client: DynamoDBClient,
  region: string,
  tableName: string,
  retry: RetryPolicy,
): Promise<FoundTable | undefined> => {
  try {
    // A missing table is an answer here, not an outage: never retried (the replicator's classification retries it).
    const Table = await withRetries(
      () =>
        client.send(new DescribeTableCommand({ TableName: tableName })).then(
          (output) => output.Table,
          (error: unknown) => (notFound(error) ? null : Promise.reject(error)),
        ),
      retry,
    );
    if (Table === null) return undefined;
    if (Table === undefined) throw new Error('DescribeTable returned no table');
    const { TimeToLiveDescription: ttl } = await withRetries(
      () => client.send(new DescribeTimeToLiveCommand({ TableName: tableName })),
      retry,
    );
    const on = ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING';
    return { table: Table, ttlAttribute: on ? ttl?.AttributeName : undefined };
  } catch (cause) {
    if (notFound(cause)) return undefined;
    throw await unreachable(tool, client, region, tableName, cause);
  }
};

/**
 * Describes a table (retrying transient failures) for a tool (`verify`, `backfill`, `migrate`).
 * A missing table on a local endpoint gets a hint about DynamoDB Local's `-sharedDb`.
 * `signal` aborts the request in flight and the retries (SIGINT/SIGTERM).
 * @throws DynasyncError `config.tableUnreachable` naming the table, the region and what to check;
 *   `<tool>.aborted` when `signal` fired.
 */
export const describeTable = async (
  tool: string,
  client: DynamoDBClient,
  region: string,
  tableName: string,
  retry: RetryPolicy,
  signal?: AbortSignal,
): Promise<TableInfo> => {
  try {
    // A missing table is not retried: it will not appear by itself (the replicator's classification
    // calls it transient, as a peer table missing for a while is an outage there).
    let missing: unknown;
    const { Table } = await withRetries(
      () =>
        client
          .send(
            new DescribeTableCommand({ TableName: tableName }),
            signal === undefined ? {} : { abortSignal: signal },
          )
          .catch((error: unknown) => {
            if (!notFound(error)) throw error;
            missing = error;
            return { Table: undefined };
          }),
      retry,
      signal,
    );
    if (missing !== undefined) throw missing;
    const schema = Table?.KeySchema ?? [];
    const hash = schema.find((element) => element.KeyType === 'HASH')?.AttributeName;
    const range = schema.find((element) => element.KeyType === 'RANGE')?.AttributeName;
    if (hash === undefined) throw new Error('DescribeTable returned no key schema');
    return {
      keyNames: range === undefined ? [hash] : [hash, range],
      itemCount: Table?.ItemCount ?? 0,
      sizeBytes: Table?.TableSizeBytes ?? 0,
    };
  } catch (cause) {
    if (signal?.aborted === true)
      throw toolError(
        `${tool}.aborted`,
        `${tool}: interrupted while describing table "${tableName}" of region ${region}`,
        { region, table: tableName },
        cause,
      );
    throw await unreachable(tool, client, region, tableName, cause);
  }
};
