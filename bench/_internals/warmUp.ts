import { PutItemCommand, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { parseConfig } from '../../core/config/loadConfig.js';
import { createDynamoClients } from '../../replicator/clients.js';
import type { LocalDynamo } from '../../tools/localDynamo.js';
import { syntheticStream } from '../records.js';
import { createPlainTable, dropTable } from './tables.js';

/**
 * Warms a fresh DynamoDB Local JVM up with `puts` conditional puts (32 in flight) into a scratch
 * table without a stream, then drops the table. A cold instance writes several times slower than a
 * warm one until the JIT has compiled its hot paths (measured: ~200/s at first, ~850/s after
 * ~12,000 puts), which would otherwise be measured as replication cost.
 * @returns puts/s of the warm-up (for the log).
 */
export const warmUpInstance = async (instance: LocalDynamo, puts: number, seed: number): Promise<number> => {
  const config = parseConfig({
    version: 1,
    name: 'bench-warmup',
    regions: {
      local: { table: 'warmup', endpoint: instance.endpoint },
      other: { table: 'unused', endpoint: 'http://127.0.0.1:9' },
    },
    topology: { type: 'active-active' },
  });
  const clients = createDynamoClients(config, { maxSockets: 64 });
  const client = clients.local!;
  try {
    const table = 'bench-warmup';
    await createPlainTable(client, table);
    const { changes } = syntheticStream({ count: puts, keys: { type: 'uniform' }, seed });
    const limit = pLimit(32);
    const started = performance.now();
    await Promise.all(
      changes.map((change) =>
        limit(() =>
          client.send(
            new PutItemCommand({
              TableName: table,
              Item: change.peerItem as PutItemCommandInput['Item'],
              ConditionExpression: 'attribute_not_exists(#v) OR #v < :v',
              ExpressionAttributeNames: { '#v': '_ds_v' },
              ExpressionAttributeValues: { ':v': { S: change.versionText } },
            }),
          ),
        ),
      ),
    );
    const rate = puts / ((performance.now() - started) / 1000);
    await dropTable(client, table);
    return rate;
  } finally {
    for (const each of Object.values(clients)) each.destroy();
  }
};
