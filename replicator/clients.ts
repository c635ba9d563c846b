import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Config, RegionConfig } from '../core/config/types.js';

/** Options for the clients dynasync creates when none are injected. */
export interface ClientOptions {
  /** Sockets kept open per client (keep-alive). @default 64 */
  readonly maxSockets?: number;
  /** SDK-level attempts; dynasync retries with its own deadline-aware backoff. @default 1 */
  readonly maxAttempts?: number;
  /**
   * Roles to assume per region, for peers in other AWS accounts (`{"us-east-1": "arn:aws:iam::…:role/…"}`).
   * The Lambda gets them from `DYNASYNC_PEER_ROLES`. @default none: the ambient credentials everywhere
   */
  readonly roles?: Readonly<Record<string, string>>;
  /** How a role becomes credentials. @default STS AssumeRole, refreshed before expiry */
  readonly assumeRole?: (roleArn: string, sessionName: string) => AwsCredentialIdentityProvider;
}

/** Environment variable with the roles to assume per peer region (JSON), set by the CDK app. */
export const PEER_ROLES_ENV = 'DYNASYNC_PEER_ROLES';

/** The peer roles from `DYNASYNC_PEER_ROLES`; none when unset. */
export const peerRolesFromEnv = (env: NodeJS.ProcessEnv = process.env): Record<string, string> => {
  const text = env[PEER_ROLES_ENV];
  if (text === undefined || text === '') return {};
  const parsed: unknown = JSON.parse(text);
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Object.values(parsed).some((value) => typeof value !== 'string')
  ) {
    throw new Error(`${PEER_ROLES_ENV} must be a JSON object of region name to role ARN`);
  }
  return parsed as Record<string, string>;
};

const defaultAssumeRole = (roleArn: string, sessionName: string): AwsCredentialIdentityProvider =>
  fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: sessionName } });

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
  const role = options.roles?.[name];
  return {
    region: region.awsRegion ?? name,
    maxAttempts: options.maxAttempts ?? 1,
    ...(region.endpoint === undefined ? {} : { endpoint: region.endpoint }),
    // DynamoDB Local accepts any credentials; don't make the default chain probe for real ones.
    ...(local && process.env.AWS_ACCESS_KEY_ID === undefined
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    ...(role === undefined
      ? {}
      : { credentials: (options.assumeRole ?? defaultAssumeRole)(role, `dynasync-${name}`.slice(0, 64)) }),
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
