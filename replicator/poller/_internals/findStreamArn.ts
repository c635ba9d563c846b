import { DescribeTableCommand, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import type { Config } from '../../../core/config/types.js';
import { errorName } from '../../../core/errorName.js';
import { DynasyncError, ErrorCodes } from '../../../core/errors.js';
import { StreamErrors } from './awsErrors.js';
import type { StreamCalls } from './StreamCalls.js';

/**
 * The current stream of the region's table, checked to be usable (enabled, `NEW_AND_OLD_IMAGES`).
 * @throws DynasyncError `config.tableMismatch` (no table, no stream, wrong view type); or the error of a failed AWS call.
 */
export const findStreamArn = async (
  config: Config,
  region: string,
  dynamoClient: DynamoDBClient,
  calls: StreamCalls,
): Promise<string> => {
  const table = config.regions[region]!.table;
  let description: TableDescription | undefined;
  try {
    ({ Table: description } = await calls.callRetrying((abortSignal) =>
      dynamoClient.send(new DescribeTableCommand({ TableName: table }), { abortSignal }),
    ));
  } catch (error) {
    if (errorName(error) !== StreamErrors.notFound) throw error;
    throw new DynasyncError(
      ErrorCodes.config.tableMismatch,
      `regions.${region}.table: table "${table}" does not exist in ${region}; create it (with a NEW_AND_OLD_IMAGES stream) or fix the config`,
      {
        payload: {
          path: `regions.${region}.table`,
          region,
          table,
          problems: [{ region, table, problem: 'missing' }],
        },
        cause: error,
      },
    );
  }
  const spec = description?.StreamSpecification;
  const streamArn = spec?.StreamEnabled === true ? description?.LatestStreamArn : undefined;
  if (streamArn === undefined || spec?.StreamViewType !== 'NEW_AND_OLD_IMAGES') {
    const problem = streamArn === undefined ? 'streamDisabled' : 'streamViewType';
    throw new DynasyncError(
      ErrorCodes.config.tableMismatch,
      `regions.${region}.table: table "${table}" in ${region} ` +
        (problem === 'streamDisabled' ? 'has no stream' : `has a ${spec?.StreamViewType} stream`) +
        '; dynasync run needs a stream with view type NEW_AND_OLD_IMAGES (enable it, or disable and re-enable it with that view type)',
      {
        payload: { path: `regions.${region}.table`, region, table, problems: [{ region, table, problem }] },
      },
    );
  }
  return streamArn;
};
