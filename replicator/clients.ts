import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { fromIni, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { isLocalEndpoint } from '../core/config/localEndpoint.js';
import type { Config, RegionConfig } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';

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
  /**
   * How a role becomes credentials (`roles`, or a region's `roleArn` with its `externalId`), starting
   * from `profile`'s credentials when one applies. @default STS AssumeRole, refreshed before expiry
   */
  readonly assumeRole?: (
    roleArn: string,
    sessionName: string,
    externalId?: string,
    profile?: string,
  ) => AwsCredentialIdentityProvider;
  /**
   * AWS named profile (shared config and credentials files) whose credentials the clients use,
   * and that assumed roles start from. The CLI's `--profile` sets `DYNASYNC_PROFILE`.
   * @default `DYNASYNC_PROFILE`, else the SDK's default chain
   */
  readonly profile?: string;
  /**
   * Milliseconds one request may take, from sending it to the end of the answer, before it fails
   * with a `TimeoutError` (an endpoint that accepts connections and never answers).
   * @default `DYNASYNC_REQUEST_TIMEOUT_MS`, else 30000
   */
  readonly requestTimeoutMs?: number;
  /** Milliseconds to open a connection. @default `DYNASYNC_CONNECT_TIMEOUT_MS`, else 5000 */
  readonly connectionTimeoutMs?: number;
}

/** Environment variables of the client settings; see {@link ClientOptions}. */
export const ClientEnv = {
  profile: 'DYNASYNC_PROFILE',
  requestTimeoutMs: 'DYNASYNC_REQUEST_TIMEOUT_MS',
  connectionTimeoutMs: 'DYNASYNC_CONNECT_TIMEOUT_MS',
} as const;

/** Default request timeout of dynasync's clients. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Default connection timeout of dynasync's clients. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;

const millisFromEnv = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new DynasyncError(
      ErrorCodes.config.invalidField,
      `${name} must be a whole number of milliseconds > 0, not "${text}"`,
      { payload: { path: name } },
    );
  return value;
};

/** The request and connection timeouts of the options, else of the environment, else the defaults. */
export const clientTimeouts = (
  options: Pick<ClientOptions, 'requestTimeoutMs' | 'connectionTimeoutMs'> = {},
  env: NodeJS.ProcessEnv = process.env,
): { readonly requestTimeoutMs: number; readonly connectionTimeoutMs: number } => ({
  requestTimeoutMs:
    options.requestTimeoutMs ?? millisFromEnv(env, ClientEnv.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS),
  connectionTimeoutMs:
    options.connectionTimeoutMs ??
    millisFromEnv(env, ClientEnv.connectionTimeoutMs, DEFAULT_CONNECTION_TIMEOUT_MS),
});

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

/** STS AssumeRole credentials of a role, refreshed before expiry, from a named profile's credentials when given. */
export const assumeRoleCredentials = (
  roleArn: string,
  sessionName: string,
  externalId?: string,
  profile?: string,
): AwsCredentialIdentityProvider =>
  fromTemporaryCredentials({
    params: {
      RoleArn: roleArn,
      RoleSessionName: sessionName,
      ...(externalId === undefined ? {} : { ExternalId: externalId }),
    },
    ...(profile === undefined ? {} : { masterCredentials: fromIni({ profile }) }),
  });

/**
 * The credentials a region's account settings ask for: a role to assume (`options.roles[name]`, the
 * Lambda's `DYNASYNC_PEER_ROLES`, else the region's `roleArn` + `externalId`; session
 * `dynasync-<region>`, starting from the region's `profile`, else `--profile`), else the region's
 * own `profile`; `undefined` when it names neither. The SQS and KMS clients of a region use this
 * (`undefined`: the SDK's default chain, which `--profile` sets through `AWS_PROFILE`).
 */
export const accountCredentials = (
  name: string,
  region: RegionConfig,
  options: Pick<ClientOptions, 'roles' | 'assumeRole' | 'profile'> = {},
  env: NodeJS.ProcessEnv = process.env,
): AwsCredentialIdentityProvider | undefined => {
  const globalText = options.profile ?? env[ClientEnv.profile];
  const global = globalText === undefined || globalText === '' ? undefined : globalText;
  const peerRole = options.roles?.[name];
  const role = peerRole ?? region.roleArn;
  if (role !== undefined)
    return (options.assumeRole ?? assumeRoleCredentials)(
      role,
      `dynasync-${name}`.slice(0, 64),
      peerRole === undefined ? region.externalId : undefined,
      region.profile ?? global,
    );
  return region.profile === undefined ? undefined : fromIni({ profile: region.profile });
};

/**
 * The credentials of one region's DynamoDB and Streams clients, in this order:
 * 1. {@link accountCredentials}: a role to assume, else the region's own `profile`;
 * 2. a local endpoint (DynamoDB Local) without `AWS_ACCESS_KEY_ID`: dummy keys, so the default chain
 *    does not probe for real ones (a `--profile` meant for the AWS regions does not apply to it);
 * 3. `options.profile`, else `DYNASYNC_PROFILE` (`--profile`);
 * 4. `undefined`: the SDK's default chain.
 */
export const regionCredentials = (
  name: string,
  region: RegionConfig,
  options: Pick<ClientOptions, 'roles' | 'assumeRole' | 'profile'> = {},
  env: NodeJS.ProcessEnv = process.env,
): AwsCredentialIdentityProvider | { accessKeyId: string; secretAccessKey: string } | undefined => {
  const account = accountCredentials(name, region, options, env);
  if (account !== undefined) return account;
  if (isLocalEndpoint(region.endpoint) && env.AWS_ACCESS_KEY_ID === undefined)
    return { accessKeyId: 'local', secretAccessKey: 'local' };
  const globalText = options.profile ?? env[ClientEnv.profile];
  return globalText === undefined || globalText === '' ? undefined : fromIni({ profile: globalText });
};
/**
 * SDK client settings for one region of the config: endpoint override, keep-alive sockets,
 * credentials (local, named profile or assumed role) and timeouts that fail a call which gets no
 * answer (`throwOnRequestTimeout`: without it the SDK only logs a warning and waits forever).
 */
export const clientConfigFor = (
  name: string,
  region: RegionConfig,
  options: ClientOptions = {},
): DynamoDBClientConfig => {
  const maxSockets = options.maxSockets ?? 64;
  const credentials = regionCredentials(name, region, options);
  const { requestTimeoutMs, connectionTimeoutMs } = clientTimeouts(options);
  return {
    region: region.awsRegion ?? name,
    maxAttempts: options.maxAttempts ?? 1,
    ...(region.endpoint === undefined ? {} : { endpoint: region.endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      connectionTimeout: connectionTimeoutMs,
      requestTimeout: requestTimeoutMs,
      throwOnRequestTimeout: true,
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
