import { z } from 'zod';
import { regionName } from './names.js';

/*
 * The `deploy` section's schema: what the CDK app (`infra/`) needs beyond replication itself. It is
 * parsed with the rest of the file by every reader (the CLI, the Lambda and the CDK app read one
 * config alike, and a bad field is refused at start-up wherever it is read), but only `infra/` uses it.
 */

const accountId = z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits, like "123456789012"');

const keyAttributeSchema = z.strictObject({
  /** Attribute name of the key. */
  name: z.string().min(1).max(255),
  /** DynamoDB scalar type of the key: `S`, `N` or `B`. */
  type: z.enum(['S', 'N', 'B'], { error: 'a key attribute type is "S", "N" or "B"' }),
});

const deployTableSchema = z.discriminatedUnion(
  'mode',
  [
    /** Use the existing table of each region (`regions.<name>.table`); it must stream NEW_AND_OLD_IMAGES. */
    z.strictObject({ mode: z.literal('import') }),
    /** Create each region's table: stream NEW_AND_OLD_IMAGES, point-in-time recovery, TTL on `<prefix>ttl`, deletion protection. */
    z.strictObject({
      mode: z.literal('create'),
      partitionKey: keyAttributeSchema,
      /** @default no sort key */
      sortKey: keyAttributeSchema.optional(),
    }),
  ],
  { error: 'deploy.table.mode must be "import" or "create" (with "partitionKey")' },
);

const logRetentionDays = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const deployLambdaSchema = z.strictObject({
  /** Memory of the replicator function, MB. @default 512 */
  memoryMb: z.number().int().min(128).max(10_240).default(512),
  /** Timeout of one invocation, seconds; must leave room for `replicator.timeBudgetMarginMs`. @default 60 */
  timeoutSeconds: z.number().int().min(5).max(900).default(60),
  /** How long the function's logs are kept, days. @default 30 */
  logRetentionDays: z
    .number()
    .int()
    .refine((days) => logRetentionDays.includes(days), {
      message: `logRetentionDays must be one of CloudWatch Logs' retentions: ${logRetentionDays.join(', ')}`,
    })
    .default(30),
  /**
   * X-Ray active tracing of the replicator: a subsegment per batch and per peer, annotated with counts.
   * @default true
   */
  tracing: z.boolean().default(true),
  /**
   * Concurrent executions reserved for the replicator (and its ceiling). Each shard runs up to
   * `eventSource.parallelizationFactor` batches at once: fewer than shards × factor throttles
   * replication (batches are retried, records age).
   * @default unset: unreserved, from the account's pool
   */
  reservedConcurrency: z.number().int().min(1).max(10_000).optional(),
});

const deployEventSourceSchema = z.strictObject({
  /** Records per invocation. @default `replicator.batchSize` */
  batchSize: z.number().int().min(1).max(10_000).optional(),
  /** Time Lambda gathers records before invoking, seconds (0: invoke as soon as records arrive). @default 0 */
  maxBatchingWindowSeconds: z.number().int().min(0).max(300).default(0),
  /** Batches of one shard processed at once (per-key order is kept). @default 1 */
  parallelizationFactor: z.number().int().min(1).max(10).default(1),
  /** Where a new mapping starts reading the stream. @default `replicator.startingPosition` */
  startingPosition: z.enum(['TRIM_HORIZON', 'LATEST']).optional(),
  /** Split a batch in two when the function fails, to isolate a record that breaks it. @default true */
  bisectBatchOnError: z.boolean().default(true),
  /** Retries of a failed batch before it goes to the on-failure destination; -1 retries until the record expires. @default -1 */
  retryAttempts: z.number().int().min(-1).max(10_000).default(-1),
  /** Oldest record sent to the function, seconds (60-604800); -1: until the record expires. @default -1 */
  maxRecordAgeSeconds: z
    .number()
    .int()
    .refine((seconds) => seconds === -1 || (seconds >= 60 && seconds <= 604_800), {
      message: 'maxRecordAgeSeconds is -1 (no limit) or 60-604800',
    })
    .default(-1),
});

const deployAlarmsSchema = z.strictObject({
  /** Alarm when the oldest unprocessed stream record is older than this, ms. @default 60000 */
  iteratorAgeMs: z.number().int().min(1).default(60_000),
  /** Alarm when function errors in one period reach this. @default 1 */
  errors: z.number().int().min(1).default(1),
  /** Alarm when throttled invocations in one period reach this. @default 1 */
  throttles: z.number().int().min(1).default(1),
  /** Alarm when visible messages in the dead-letter queue reach this. @default 1 */
  deadLetterDepth: z.number().int().min(1).default(1),
  /** Alarm when the highest replication lag (`dynasync/ReplicationLagMs`) in a period exceeds this, ms. @default 30000 */
  replicationLagMs: z.number().int().min(1).default(30_000),
  /** Length of one alarm period, seconds. @default 60 */
  periodSeconds: z
    .number()
    .int()
    .refine((seconds) => seconds === 10 || seconds === 30 || (seconds >= 60 && seconds % 60 === 0), {
      message: 'periodSeconds is 10, 30 or a multiple of 60',
    })
    .default(60),
  /** Consecutive breaching periods before an alarm fires. @default 5 */
  evaluationPeriods: z.number().int().min(1).max(100).default(5),
});

const deployRegionSchema = z.strictObject({
  /** AWS account of this region's stack. @default the account of the credentials `cdk deploy` runs with */
  account: accountId.optional(),
  /**
   * Role that replicators of other regions assume to write this region's table. This region's stack
   * creates it (PutItem on its table only). Required when a region shipping here is in another account.
   * @default none: peers write with their own role (same account)
   */
  writerRoleArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@-]{1,64}$/,
      'writerRoleArn is an IAM role ARN without a path, like "arn:aws:iam::123456789012:role/dynasync-writer"',
    )
    .optional(),
  /** Stream ARN of an imported table. @default looked up at deploy time (DescribeTable) */
  streamArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[a-zA-Z0-9_.-]{3,255}\/stream\/\S+$/,
      'streamArn is a DynamoDB stream ARN, like "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000"',
    )
    .optional(),
  /** SNS topic (in this region) notified when this region's alarms change state. @default no alarm actions */
  alarmTopicArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, 'alarmTopicArn is an SNS topic ARN')
    .optional(),
});

/** The optional `deploy` section: what the CDK app (`infra/`) needs beyond replication itself. */
export const deploySchema = z.strictObject({
  /** Import each region's existing table or create it. @default { "mode": "import" } */
  table: deployTableSchema.default({ mode: 'import' }),
  lambda: deployLambdaSchema.default(() => deployLambdaSchema.parse({})),
  eventSource: deployEventSourceSchema.default(() => deployEventSourceSchema.parse({})),
  /** Drop the replicator's own writes (`<prefix>rep` = true) at the event source mapping. @default true */
  filterEchoes: z.boolean().default(true),
  /** Create the masking keys: a KMS multi-Region key and token key material protected by it. @default true */
  maskingKeys: z.boolean().default(true),
  /** Region of the multi-Region key's primary; its stack deploys first. @default the first key of `regions` */
  kmsPrimaryRegion: regionName.optional(),
  alarms: deployAlarmsSchema.default(() => deployAlarmsSchema.parse({})),
  /** What happens to created tables, queues and keys when their stack is deleted. @default "retain" */
  removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  /** Per-region deployment settings, keyed like `regions`. @default {} */
  regions: z.record(regionName, deployRegionSchema).default({}),
});
