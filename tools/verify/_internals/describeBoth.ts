import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describeTable } from '../../_shared/describeTable.js';
import type { RetryPolicy } from '../../_shared/withRetries.js';

/** The two tables of a run, to describe. */
export interface BothTables {
  readonly from: string;
  readonly to: string;
  readonly sourceClient: DynamoDBClient;
  readonly targetClient: DynamoDBClient;
  readonly sourceTable: string;
  readonly targetTable: string;
  readonly retry: RetryPolicy;
  /** The run's transform is the identity (a source key can then be the target key). */
  readonly identity: boolean;
  readonly signal?: AbortSignal | undefined;
}

/** Both tables' key names and item counts, and whether a key is the same on both. */
export interface BothTablesInfo {
  readonly sourceKeyNames: readonly string[];
  readonly targetKeyNames: readonly string[];
  /** The identity transform and the same key attributes: the source key is the target key. */
  readonly sameKeys: boolean;
  /** Both tables' item counts (DescribeTable's, refreshed about every six hours). */
  readonly itemCount: number;
}

/** Describes both tables at once (DescribeTable, with retries). */
export const describeBoth = async (tables: BothTables): Promise<BothTablesInfo> => {
  const [sourceInfo, targetInfo] = await Promise.all([
    describeTable(
      'verify',
      tables.sourceClient,
      tables.from,
      tables.sourceTable,
      tables.retry,
      tables.signal,
    ),
    describeTable('verify', tables.targetClient, tables.to, tables.targetTable, tables.retry, tables.signal),
  ]);
  const sourceKeyNames = sourceInfo.keyNames;
  const targetKeyNames = targetInfo.keyNames;
  return {
    sourceKeyNames,
    targetKeyNames,
    sameKeys:
      tables.identity &&
      sourceKeyNames.length === targetKeyNames.length &&
      sourceKeyNames.every((name) => targetKeyNames.includes(name)),
    itemCount: sourceInfo.itemCount + targetInfo.itemCount,
  };
};
