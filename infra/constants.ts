import { CONFIG_ENV } from '../core/config/loadConfig.js';
import { DLQ_URL_ENV } from '../replicator/deadLetter/createDeadLetterSink.js';
import { METRICS_NAMESPACE, MetricNames } from '../replicator/metrics.js';

/**
 * Environment variables the CDK app sets on the replicator function.
 *
 * `config`, `region` and `deadLetterQueueUrl` are read by the replicator today; `peerRoles`,
 * `maskingKeyArn` and `tokenKeyCiphertext` are there for the pieces that land with their issues
 * (cross-account peers, masking).
 */
export const LambdaEnv = {
  /** The validated config as JSON text (without its `deploy` section). */
  config: CONFIG_ENV,
  /** Key of `regions` whose stream the function reads. */
  region: 'DYNASYNC_REGION',
  /** URL of the region's dead-letter queue (SQS): where the handler sends whole records. */
  deadLetterQueueUrl: DLQ_URL_ENV,
  /** JSON object `{ "<peer region>": "<role ARN>" }`: roles to assume to write those peers' tables. */
  peerRoles: 'DYNASYNC_PEER_ROLES',
  /** ARN of this region's copy of the multi-Region masking key. */
  maskingKeyArn: 'DYNASYNC_MASKING_KEY_ARN',
  /** Token key material: a data key encrypted under the masking key (base64 ciphertext blob). */
  tokenKeyCiphertext: 'DYNASYNC_TOKEN_KEY_CIPHERTEXT',
  /**
   * The account of the stack: the handler dead-letters a record whose `eventSourceARN` names another
   * account (`replicator.foreignRecord`). Equal to the handler's `SOURCE_ACCOUNT_ENV` (a test checks it).
   */
  sourceAccount: 'DYNASYNC_SOURCE_ACCOUNT',
} as const;

/**
 * The replicator's own CloudWatch metrics (Embedded Metric Format, `replicator/metrics.ts`): their
 * namespace and names come from there, so alarms and the handler cannot drift apart.
 */
export const ReplicatorMetrics = { namespace: METRICS_NAMESPACE, ...MetricNames } as const;

/**
 * The dimensions the handler publishes every metric with. CloudWatch identifies a metric by its whole
 * dimension set, so an alarm must name all of them: Powertools adds `service`.
 */
export const replicatorMetricDimensions = (deployment: string, region: string) =>
  ({ service: 'dynasync', Deployment: deployment, Region: region }) as const;

/**
 * Encryption context of the token key material. Decrypting it needs the same context, and the
 * replicator's role may decrypt nothing else with the masking key.
 */
export const tokenKeyEncryptionContext = (deployment: string) =>
  ({ purpose: 'dynasync-token-key', deployment }) as const;

/** Stack name of a region: `dynasync-<name>-<region>`. */
export const stackNameFor = (deployment: string, region: string): string =>
  `dynasync-${deployment}-${region}`;

/**
 * IAM role name of a region's replicator, fixed only when a peer's writer role must trust it by name.
 * IAM role names are at most 64 characters.
 */
export const replicatorRoleNameFor = (deployment: string, region: string): string =>
  `dynasync-${deployment}-${region}-replicator`;
