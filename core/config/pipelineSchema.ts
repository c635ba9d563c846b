import { z } from 'zod';

/**
 * The `pipelines` and `keys` sections of the config: what each peer region receives (filter → mask →
 * map stages) and where the masking key comes from. Kept apart from `schema.ts` so the rest of the
 * config reads as before; `schema.ts` only adds the two fields.
 */

const stageId = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_-]{0,63}$/,
    'a stage id is 1-64 letters, digits, "_" or "-", starting with a letter',
  );

/**
 * An attribute path: names joined by `.`, list positions as `[n]`, and wildcards: `*` for every
 * attribute of a map, `[*]` for every element of a list. Names cannot contain `.`, `[`, `]` or `*`.
 */
export const ATTRIBUTE_PATH = /^(?:[^.[\]*]+|\*)(?:\.(?:[^.[\]*]+|\*)|\[(?:\d+|\*)\])*$/;

const attributePath = z
  .string()
  .regex(
    ATTRIBUTE_PATH,
    'an attribute path is names joined by "." with "[n]" for list positions and "*" / "[*]" as wildcards, like "contacts[*].email"',
  );

const attributeName = z.string().min(1).max(255);

/**
 * Map keys are never masked: a rule through a map wildcard (`byEmail.*`) masks the members' values
 * and leaves their names as they are. Such a rule must say so (`mapKeys: "clear"`: the names are not
 * personal data), or config loading refuses it; `drop` removes the members, names and all.
 */
const mapKeys = z
  .literal('clear', { error: 'mapKeys can only be "clear": map keys are never masked' })
  .optional();

const maskRuleSchema = z.discriminatedUnion(
  'action',
  [
    /** Remove the attribute (or list element). */
    z.strictObject({ path: attributePath, action: z.literal('drop'), mapKeys }),
    /** Replace with a fixed marker of the same type where possible. */
    z.strictObject({
      path: attributePath,
      action: z.literal('redact'),
      mapKeys,
      /** Text that replaces strings. @default "[REDACTED]" */
      marker: z.string().min(1).max(64).optional(),
    }),
    /** Salted SHA-256 (salt from the stage's `hashSalt`: not secret). */
    z.strictObject({ path: attributePath, action: z.literal('hash'), mapKeys }),
    /** Keyed HMAC-SHA-256: the same value gives the same token in every region. */
    z.strictObject({ path: attributePath, action: z.literal('tokenize'), mapKeys }),
    /** AES-256-GCM under the masking key; `dynasync decrypt` reads it back. */
    z.strictObject({ path: attributePath, action: z.literal('encrypt'), mapKeys }),
    /** Keep a few characters of a string, mask the rest. */
    z.strictObject({
      path: attributePath,
      action: z.literal('partial'),
      mapKeys,
      /** Characters kept at the end. @default 4 */
      keepLast: z.number().int().min(0).max(64).default(4),
      /** Characters kept at the start. @default 0 */
      keepFirst: z.number().int().min(0).max(64).default(0),
      /** Character that replaces the others. @default "*" */
      maskChar: z.string().length(1).default('*'),
    }),
  ],
  { error: 'a mask rule\'s action is "drop", "redact", "hash", "tokenize", "encrypt" or "partial"' },
);

const conditionSchema = z.discriminatedUnion(
  'op',
  [
    z.strictObject({ path: attributePath, op: z.literal('exists') }),
    z.strictObject({ path: attributePath, op: z.literal('notExists') }),
    /** `value` is an AttributeValue in its JSON form, like `{"S":"active"}`; numbers compare by value. */
    z.strictObject({
      path: attributePath,
      op: z.literal('equals'),
      value: z.record(z.string(), z.unknown()),
    }),
    z.strictObject({
      path: attributePath,
      op: z.literal('notEquals'),
      value: z.record(z.string(), z.unknown()),
    }),
    /** The attribute is a string starting with `value`. */
    z.strictObject({ path: attributePath, op: z.literal('beginsWith'), value: z.string() }),
  ],
  { error: 'a condition\'s op is "exists", "notExists", "equals", "notEquals" or "beginsWith"' },
);

const eventNameSchema = z.enum(['INSERT', 'MODIFY', 'REMOVE'], {
  error: 'an event is "INSERT", "MODIFY" or "REMOVE"',
});

/** One stage of a pipeline; `id` is stable and unique within its pipeline. */
export const stageSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('filter'),
      id: stageId,
      /** Only these stream events match. @default every event (scanned items have none and match) */
      events: z.array(eventNameSchema).min(1).optional(),
      /** The partition key (first of the pipeline's `key`) is a string starting with this. @default any */
      keyPrefix: z.string().min(1).optional(),
      /** Every condition must hold. @default none */
      where: z.array(conditionSchema).default([]),
      /** `keep`: only matching items go on; `drop`: matching items are dropped. @default "keep" */
      mode: z.enum(['keep', 'drop']).default('keep'),
    }),
    z.strictObject({
      type: z.literal('mask'),
      id: stageId,
      rules: z.array(maskRuleSchema).min(1, 'a mask stage needs at least one rule'),
      /** Salt of the `hash` action (not a secret: use `tokenize` for a keyed digest). @default the config's `name` */
      hashSalt: z.string().min(1).max(256).optional(),
    }),
    z.strictObject({
      type: z.literal('map'),
      id: stageId,
      /** Path of an ES module (relative to the working directory) exporting the transform. */
      module: z.string().min(1),
      /** Name of the exported function `(item, context) => Item | Item[] | null`. @default "transform" */
      export: z.string().min(1).default('transform'),
    }),
  ],
  { error: 'a stage\'s type is "filter", "mask" or "map"' },
);

/** The pipeline of one peer region. */
export const pipelineSchema = z.strictObject({
  /** Key attribute names of the source table: partition key, then sort key if any. */
  key: z.array(attributeName).min(1).max(2),
  /** Key attribute names of the peer's table, when a map stage changes them. @default `key` */
  targetKey: z.array(attributeName).min(1).max(2).optional(),
  /**
   * What a dead letter for this peer keeps of a record when the pipeline masks: `omit` (sequence
   * number and error only) or `encrypted` (the whole record, encrypted under the masking key).
   * @default "omit"
   */
  deadLetterRecord: z.enum(['omit', 'encrypted']).default('omit'),
  stages: z.array(stageSchema).default([]),
});

const previousLocalKey = z.union([
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ env: z.string().min(1) }),
]);

/** Where the masking key comes from. */
export const keysSchema = z.discriminatedUnion(
  'type',
  [
    /** A 256-bit key (base64 or hex) from a file or an environment variable: `run`, `demo`, tests. */
    z.strictObject({
      type: z.literal('local'),
      /** File holding the key. @default none: the key is read from `env` */
      file: z.string().min(1).optional(),
      /** Environment variable holding the key. @default "DYNASYNC_MASKING_KEY" */
      env: z.string().min(1).optional(),
      /** Older keys, for decrypting values encrypted before a rotation. @default [] */
      previous: z.array(previousLocalKey).default([]),
    }),
    /** A data key encrypted under a KMS key, decrypted once per cold start. */
    z.strictObject({
      type: z.literal('kms'),
      /** The KMS key (ARN or alias). @default `DYNASYNC_MASKING_KEY_ARN` (set by the CDK app) */
      keyId: z.string().min(1).optional(),
      /** Base64 ciphertext of the data key. @default `DYNASYNC_TOKEN_KEY_CIPHERTEXT` (set by the CDK app) */
      dataKeyCiphertext: z.string().min(1).optional(),
      /** Encryption context of the data key. @default {"purpose":"dynasync-token-key","deployment":<name>} */
      encryptionContext: z.record(z.string(), z.string()).optional(),
      /** Ciphertexts of older data keys, for decrypting after a rotation. @default [] */
      previous: z.array(z.string().min(1)).default([]),
      /** KMS region when it differs from the region's AWS region. @default the region's */
      region: z.string().min(1).optional(),
    }),
  ],
  { error: 'keys.type must be "local" (with "file" or "env") or "kms" (with "keyId")' },
);

/** `pipelines`: peer region → its pipeline. */
export const pipelinesSchema = z.record(z.string(), pipelineSchema);
