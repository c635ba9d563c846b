import { z } from 'zod';
import { conflictSchema } from './conflictSchema.js';
import { deploySchema } from './deploySchema.js';
import { regionName, tableName } from './names.js';
import { keysSchema, pipelinesSchema } from './pipelineSchema.js';

const regionSchema = z
  .strictObject({
    /** Name of the table in this region. */
    table: tableName,
    /** Endpoint override, e.g. `http://127.0.0.1:8001` for DynamoDB Local. @default the AWS endpoint */
    endpoint: z.url({ message: 'endpoint must be a URL such as "http://127.0.0.1:8001"' }).optional(),
    /** AWS region to sign requests for, when the region's key is not an AWS region name. @default the region's key */
    awsRegion: z.string().min(1).optional(),
    /**
     * AWS named profile (shared config/credentials files) of this region's clients (DynamoDB, Streams,
     * SQS), so one machine reaches two accounts; wins over `--profile`, and an assumed `roleArn` starts
     * from it. @default `--profile`, else the SDK's default chain
     */
    profile: z.string().min(1, 'profile is the name of an AWS named profile, like "prod"').optional(),
    /**
     * Role this region's clients assume (STS AssumeRole, session `dynasync-<region>`), for a table in
     * another account. @default none: the profile's or the ambient credentials
     */
    roleArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
        'roleArn must be an IAM role ARN such as "arn:aws:iam::123456789012:role/dynasync"',
      )
      .optional(),
    /** External ID the role's trust policy requires (only with `roleArn`). @default none */
    externalId: z
      .string()
      .regex(/^[\w+=,.@:/-]{2,1224}$/, 'externalId is 2-1224 characters of letters, digits and +=,.@:/-')
      .optional(),
  })
  .superRefine((region, context) => {
    if (region.externalId !== undefined && region.roleArn === undefined)
      context.addIssue({
        code: 'custom',
        path: ['externalId'],
        message: 'externalId is only used with roleArn: add the role to assume, or remove externalId',
      });
  });

const topologySchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('one-way'),
      /** The only region applications write to. */
      from: regionName,
      /** Regions that receive its changes. */
      to: z.array(regionName).min(1, 'one-way needs at least one region in "to"'),
    }),
    z.strictObject({ type: z.literal('active-active') }),
  ],
  { error: 'topology.type must be "one-way" (with "from" and "to") or "active-active"' },
);

const metadataSchema = z.strictObject({
  /** Prefix of the attributes dynasync adds to items (`<prefix>v`, `<prefix>rep`, ...). @default "_ds_" */
  prefix: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_]{0,15}$/,
      'the prefix is 1-16 letters, digits or "_" and starts with a letter or "_"',
    )
    .default('_ds_'),
});

const tombstoneSchema = z.strictObject({
  /** How long a delete marker is kept before TTL removes it. @default 7 */
  retentionDays: z.number().int().min(1).max(3650).default(7),
});

const deadLetterSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('file'),
      /** Folder of the JSON-lines files, one per region: `dead-letter-<region>.jsonl`. @default ".dynasync" */
      dir: z.string().min(1).default('.dynasync'),
    }),
    z.strictObject({
      type: z.literal('sqs'),
      /**
       * Queue URL per source region. The Lambda takes its queue from `DYNASYNC_DLQ_URL` (set by the CDK app),
       * which wins over this map. @default {}
       */
      queues: z
        .record(
          regionName,
          z.url({
            message: 'a queue URL such as "https://sqs.eu-west-1.amazonaws.com/123456789012/dynasync-dlq"',
          }),
        )
        .default({}),
      /** Largest message body; larger letters are compressed, or stored without their record. @default 262144 */
      maxMessageBytes: z.number().int().min(1_024).max(1_048_576).default(262_144),
      /**
       * Folder where a letter too large for a message is also kept whole (`oversize-<region>.jsonl`).
       * @default none: the queue gets the letter without its record, plus an error log line and metric
       */
      overflowDir: z.string().min(1).optional(),
    }),
  ],
  { error: 'deadLetter.type must be "file" (with "dir") or "sqs" (with "queues")' },
);

const replicatorSchema = z.strictObject({
  /** Records per batch in `dynasync run` (Lambda: the mapping's batch size). @default 100 */
  batchSize: z.number().int().min(1).max(1000).default(100),
  /** Peer writes in flight at once. @default 32 */
  concurrency: z.number().int().min(1).max(512).default(32),
  /** First retry delay of a transient failure; doubles each attempt, with full jitter. @default 25 */
  baseDelayMs: z.number().int().min(1).max(60_000).default(25),
  /** Longest single retry delay. @default 2000 */
  maxDelayMs: z.number().int().min(1).max(300_000).default(2_000),
  /** Time kept free at the end of an invocation to report results. @default 1500 */
  timeBudgetMarginMs: z.number().int().min(0).max(60_000).default(1_500),
  /** Time budget of one batch in `dynasync run`. @default 60000 */
  batchTimeoutMs: z.number().int().min(1_000).max(900_000).default(60_000),
  /** Where a new stream is read from when no checkpoint exists. @default "TRIM_HORIZON" */
  startingPosition: z.enum(['TRIM_HORIZON', 'LATEST']).default('TRIM_HORIZON'),
  /** Pause between empty polls of a shard in `dynasync run`. @default 100 */
  pollIntervalMs: z.number().int().min(10).max(10_000).default(100),
  /** Folder of the per-region checkpoint files of `dynasync run`. @default ".dynasync" */
  checkpointDir: z.string().min(1).default('.dynasync'),
  /**
   * How far ahead of the replicator's clock a stamped version may be. A record whose version is
   * later than now + this is dead-lettered (`replicator.versionFromFuture`) instead of pinning its key,
   * and the client helper refuses to stamp past it. @default 300000 (5 minutes)
   */
  maxClockSkewMs: z.number().int().min(1_000).max(86_400_000).default(300_000),
});

const migrateTableSchema = z.strictObject({
  /** A key of `regions`: its endpoint and signing region are used. */
  region: regionName,
  /** The table in that region. */
  table: tableName,
});

/**
 * The optional `migrate` section (`dynasync migrate`): a legacy table kept in sync with a table in a
 * new model through the user's transform module. Same region or cross-region.
 */
export const migrateSchema = z.strictObject({
  /** The legacy table (needs a `NEW_AND_OLD_IMAGES` stream). */
  source: migrateTableSchema,
  /** The table in the new model. */
  target: migrateTableSchema,
  /** Path of the transform module (`export function transform(oldItem) → newItems[]`), relative to the config file. */
  transform: z
    .string()
    .min(1, 'migrate.transform is the path of the transform module, e.g. "./transform.mjs"'),
});

/** The JSON schema of a dynasync config file (zod). */
export const configSchema = z.strictObject({
  /** Config format version. */
  version: z.literal(1, { error: 'version must be 1' }),
  /** Name of the deployment (used in metric and stack names). */
  name: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, 'name is letters, digits and "-", starting with a letter'),
  regions: z.record(regionName, regionSchema),
  topology: topologySchema,
  conflict: conflictSchema.default({ strategy: 'lww' }),
  metadata: metadataSchema.default({ prefix: '_ds_' }),
  tombstones: tombstoneSchema.default({ retentionDays: 7 }),
  deadLetter: deadLetterSchema.default({ type: 'file', dir: '.dynasync' }),
  replicator: replicatorSchema.default(() => replicatorSchema.parse({})),
  /** How `infra/` deploys it (CDK). @default absent: every `deploy` default applies */
  deploy: deploySchema.optional(),
  /** Filter, mask and map stages per peer region (see `pipelineSchema.ts`). @default {}: peers get items as they are */
  pipelines: pipelinesSchema.default({}),
  /** Where the masking key comes from. @default {"type":"local","env":"DYNASYNC_MASKING_KEY"} */
  keys: keysSchema.optional(),
  /** Legacy-table migration (`dynasync migrate`). @default absent */
  migrate: migrateSchema.optional(),
});

/** A config file as written (defaults not yet applied). */
export type ConfigInput = z.input<typeof configSchema>;
