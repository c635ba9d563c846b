import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Config, RegionConfig } from '../core/config/types.js';

/** Options for the clients dynasync creates when none are injected. */
export interface ClientOptions {
  /** Sockets kept open per client (keep-alive). @default 64 */
  readonly maxSockets?: number;
  /** SDK-level attempts; dynasync retries with its own deadline-aware backoff. @default 1 */
  readonly maxAttempts?: number;
}

const isLocal = (endpoint: string | undefined): boolean =>
  endpoint !== undefined && /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?/.test(endpoint);

/** SDK client settings for one region of the config (endpoint override, keep-alive sockets). */
export const clientConfigFor = (
  name: string,
  region: RegionConfig,
  options: ClientOptions = {},
): DynamoDBClientConfig => {
  const maxSockets = options.maxSockets ?? 64;
  const local = isLocal(region.endpoint);
  return {
    region: region.awsRegion ?? name,
    maxAttempts: options.maxAttempts ?? 1,
    ...(region.endpoint === undefined ? {} : { endpoint: region.endpoint }),
    // DynamoDB Local accepts any credentials; don't make the default chain probe for real ones.
    ...(local && process.env.AWS_ACCESS_KEY_ID === undefined
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
    }),
  };
};

/** One DynamoDB client per region of the config. */
export const createDynamoClients = (
  config: Config,
  options: ClientOptions = {},
): Record<string, DynamoDBClient> =>
  Object.fromEntries(
    Object.entries(config.regions).map(([name, region]) => [
      name,
      new DynamoDBClient(clientConfigFor(name, region, options)),
    ]),
  );

/** A DynamoDB Streams client for one region of the config. */
export const createStreamsClient = (
  config: Config,
  region: string,
  options: ClientOptions = {},
): DynamoDBStreamsClient => {
  const regionConfig = config.regions[region];
  if (regionConfig === undefined)
    throw new Error(`createStreamsClient: region "${region}" is not in the config`);
  return new DynamoDBStreamsClient({
    ...clientConfigFor(region, regionConfig, options),
    maxAttempts: options.maxAttempts ?? 3,
  });
};
