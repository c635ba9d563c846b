import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { compareVersions, tryDecodeVersion } from '../../../conflict/version.js';
import { metadataNames } from '../../../core/config/topology.js';
import type { Config } from '../../../core/config/types.js';
import type { PlannedWrite } from '../../types.js';

/** True when the target already holds this version or a newer one (the write would be stale). */
export const targetIsNewer = async (
  clients: Readonly<Record<string, DynamoDBClient>>,
  config: Config,
  write: PlannedWrite,
): Promise<boolean> => {
  const names = metadataNames(config);
  const { Item } = await clients[write.peer]!.send(
    new GetItemCommand({
      TableName: config.regions[write.peer]!.table,
      Key: write.change.keys as never,
      ConsistentRead: true,
      ProjectionExpression: '#v',
      ExpressionAttributeNames: { '#v': names.version },
    }),
  );
  const stored = Item?.[names.version]?.S;
  const version = stored === undefined ? undefined : tryDecodeVersion(stored);
  return version !== undefined && compareVersions(version, write.change.version) >= 0;
};
