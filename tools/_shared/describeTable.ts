import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { toolError } from './toolError.js';
import { type RetryPolicy, withRetries } from './withRetries.js';

/** What the tools need to know of a table. */
export interface TableInfo {
  /** Key attribute names: the partition key, then the sort key when there is one. */
  readonly keyNames: readonly string[];
  /** Items by DescribeTable (approximate, refreshed by DynamoDB every ~6 h). */
  readonly itemCount: number;
}

/**
 * Describes a table (retrying transient failures) for a tool (`verify`, `backfill`, `migrate`).
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
    const { Table } = await withRetries(
      () =>
        client.send(
          new DescribeTableCommand({ TableName: tableName }),
          signal === undefined ? {} : { abortSignal: signal },
        ),
      retry,
      signal,
    );
    const schema = Table?.KeySchema ?? [];
    const hash = schema.find((element) => element.KeyType === 'HASH')?.AttributeName;
    const range = schema.find((element) => element.KeyType === 'RANGE')?.AttributeName;
    if (hash === undefined) throw new Error('DescribeTable returned no key schema');
    return { keyNames: range === undefined ? [hash] : [hash, range], itemCount: Table?.ItemCount ?? 0 };
  } catch (cause) {
    if (signal?.aborted === true)
      throw toolError(
        `${tool}.aborted`,
        `${tool}: interrupted while describing table "${tableName}" of region ${region}`,
        { region, table: tableName },
        cause,
      );
    const error = cause as Error;
    throw new DynasyncError(
      ErrorCodes.tableUnreachable,
      `${tool}: cannot describe table "${tableName}" of region ${region} (${error.name}: ${error.message}); check regions.${region}.table, its endpoint and the credentials`,
      { payload: { region, table: tableName, awsError: error.name }, cause },
    );
  }
};
