import { z } from 'zod';

const regionName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'a region name is lower-case letters, digits and dashes, like "eu-west-1"',
  );

const tableName = z
  .string()
  .regex(
    /^[a-zA-Z0-9_.-]{3,255}$/,
    'a DynamoDB table name is 3-255 characters of a-z, A-Z, 0-9, "_", "-" and "."',
  );

const regionSchema = z.strictObject({
  /** Name of the table in this region. */
  table: tableName,
  /** Endpoint override, e.g. `http://127.0.0.1:8001` for DynamoDB Local. @default the AWS endpoint */
  endpoint: z.url({ message: 'endpoint must be a URL such as "http://127.0.0.1:8001"' }).optional(),
  /** AWS region to sign requests for, when the region's key is not an AWS region name. @default the region's key */
  awsRegion: z.string().min(1).optional(),
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

const conflictSchema = z.strictObject({
  /** `lww`: the highest hybrid-logical-clock version wins, one conditional write per change. */
  strategy: z.literal('lww', { error: 'conflict.strategy must be "lww" (merge arrives with vector clocks)' }),
});

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

const deadLetterSchema = z.strictObject({
  type: z.literal('file', { error: 'deadLetter.type must be "file"' }),
  /** Folder of the JSON-lines files, one per region: `dead-letter-<region>.jsonl`. @default ".dynasync" */
  dir: z.string().min(1).default('.dynasync'),
});

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
});

/** A config file as written (defaults not yet applied). */
export type ConfigInput = z.input<typeof configSchema>;
