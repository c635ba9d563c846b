/**
 * The one error type of dynasync. Every error carries a stable, dotted `code`
 * (`config.invalidField`, `codec.invalidNumber`, `replicator.itemTooLarge`, ...);
 * tests and callers match on the code, never on the message text.
 *
 * Messages say what went wrong, where (record key, config path) and how to fix it.
 * They never contain item values: a payload holds keys, paths and codes only.
 */

/**
 * Every error code, grouped by area: `ErrorCodes.<area>.<name>` is `'<area>.<name>'`, so a key
 * always names its code's last segment. Add a new code to its area's group (or a new group).
 */
export const ErrorCodes = {
  config: {
    invalidField: 'config.invalidField',
    unreadable: 'config.unreadable',
    tableMismatch: 'config.tableMismatch',
    tableUnreachable: 'config.tableUnreachable',
  },
  codec: {
    invalidValue: 'codec.invalidValue',
    invalidNumber: 'codec.invalidNumber',
    emptySet: 'codec.emptySet',
    duplicateSetMember: 'codec.duplicateSetMember',
  },
  replicator: {
    malformedRecord: 'replicator.malformedRecord',
    unsupportedStreamViewType: 'replicator.unsupportedStreamViewType',
    unstampedWrite: 'replicator.unstampedWrite',
    itemTooLarge: 'replicator.itemTooLarge',
    writeRejected: 'replicator.writeRejected',
    deadLetterFailed: 'replicator.deadLetterFailed',
    versionFromFuture: 'replicator.versionFromFuture',
    foreignRecord: 'replicator.foreignRecord',
  },
  redrive: {
    invalidOption: 'redrive.invalidOption',
  },
  conflict: {
    invalidVersion: 'conflict.invalidVersion',
    invalidWrite: 'conflict.invalidWrite',
    mergeFailed: 'conflict.mergeFailed',
    mergeContended: 'conflict.mergeContended',
    invalidMergeModule: 'conflict.invalidMergeModule',
  },
  client: {
    clockBehind: 'client.clockBehind',
    versionFromFuture: 'client.versionFromFuture',
  },
  poller: {
    shardFailed: 'poller.shardFailed',
    checkpointCorrupt: 'poller.checkpointCorrupt',
    streamGone: 'poller.streamGone',
    dataTrimmed: 'poller.dataTrimmed',
    statusCorrupt: 'poller.statusCorrupt',
    interrupted: 'poller.interrupted',
  },
  pipeline: {
    filterFailed: 'pipeline.filterFailed',
    maskFailed: 'pipeline.maskFailed',
    mapFailed: 'pipeline.mapFailed',
    invalidOutput: 'pipeline.invalidOutput',
    keySchemaViolation: 'pipeline.keySchemaViolation',
    itemTooLarge: 'pipeline.itemTooLarge',
    keyUnavailable: 'pipeline.keyUnavailable',
    decryptFailed: 'pipeline.decryptFailed',
    moduleInvalid: 'pipeline.moduleInvalid',
    notResolved: 'pipeline.notResolved',
  },
  /** Shared table scanning (`verify`, `backfill`): neutral, whichever command scans. */
  scan: {
    /** A scan page kept failing after its retries. */
    failed: 'scan.failed',
    /** The scan was interrupted (its signal fired); each command reports its own `<command>.aborted`. */
    aborted: 'scan.aborted',
  },
  verify: {
    /** An option is out of range or contradicts another (`--dry-run` without `--repair`, `--from` = `--to`, …). */
    invalidOption: 'verify.invalidOption',
    /** An item (after the source transform) lacks one of the target table's key attributes. */
    keySchemaMismatch: 'verify.keySchemaMismatch',
    /** A consistent re-read kept failing after its retries. */
    readFailed: 'verify.readFailed',
    /** The run was interrupted (SIGINT, SIGTERM or an aborted signal). */
    aborted: 'verify.aborted',
    /** A scale-out task names a job the store does not hold, or one planned with another config version. */
    jobMismatch: 'verify.jobMismatch',
  },
  backfill: {
    /** An option is out of range or contradicts another. */
    invalidOption: 'backfill.invalidOption',
    /** A checkpoint of an unfinished run exists and `--resume` was not given. */
    checkpointExists: 'backfill.checkpointExists',
    /** The checkpoint belongs to another run (other tables, regions or segments), or cannot be read (permissions). */
    checkpointMismatch: 'backfill.checkpointMismatch',
    /** The checkpoint file is not JSON or breaks its schema (the message names the file and the field). */
    checkpointCorrupt: 'backfill.checkpointCorrupt',
    /** Writes kept failing after their retries (the page is not checkpointed: `--resume` retries it). */
    writeFailed: 'backfill.writeFailed',
    /** The run was interrupted (SIGINT, SIGTERM or an aborted signal); progress is in the checkpoint. */
    aborted: 'backfill.aborted',
    /** A segment task's job is not a backfill job of this config (missing `job.json`, another command or config version). */
    jobMismatch: 'backfill.jobMismatch',
    /** The settle task found a segment without a result: its scan task has not finished. */
    segmentMissing: 'backfill.segmentMissing',
  },
  migrate: {
    /** The config has no `migrate` section, or it names an unknown region. */
    invalidConfig: 'migrate.invalidConfig',
    /** The transform module cannot be loaded or does not export `transform`. */
    transformLoadFailed: 'migrate.transformLoadFailed',
    /** The transform threw, or returned something other than a list of items with the target's keys. */
    transformFailed: 'migrate.transformFailed',
    /** The run was interrupted while describing its tables (SIGINT, SIGTERM or an aborted signal). */
    aborted: 'migrate.aborted',
  },
  demo: {
    localDynamoMissing: 'demo.localDynamoMissing',
  },
  init: {
    fileExists: 'init.fileExists',
    invalidOption: 'init.invalidOption',
  },
  tables: {
    invalidOption: 'tables.invalidOption',
    noKeySchema: 'tables.noKeySchema',
    createFailed: 'tables.createFailed',
  },
  cli: {
    usage: 'cli.usage',
    unexpected: 'cli.unexpected',
    interrupted: 'cli.interrupted',
  },
  /** Reading DynamoDB exports to S3 (`verify --from-export`). */
  export: {
    /** An export location is neither `s3://bucket/prefix` nor a folder. */
    invalidLocation: 'export.invalidLocation',
    /** `manifest-summary.json` or `manifest-files.json` is missing, not JSON, or lacks a field. */
    invalidManifest: 'export.invalidManifest',
    /** The export is not a full export in DynamoDB JSON (ION and incremental exports are not read). */
    unsupportedFormat: 'export.unsupportedFormat',
    /** A line of a data file is not `{"Item": …}` in DynamoDB JSON (the payload names file and line). */
    invalidLine: 'export.invalidLine',
    /** A data file is missing, or its MD5 or item count differs from the manifest's. */
    corruptFile: 'export.corruptFile',
    /** The two exports were not taken at the same `exportTime`. */
    timeMismatch: 'export.timeMismatch',
  },
  /** The scale-out engine (Step Functions Distributed Map over SQS task tokens). */
  scaleout: {
    /** A task message on the queue is not a TaskMessage (no task token, unknown task kind). */
    invalidMessage: 'scaleout.invalidMessage',
    /** A worker failed a task for a reason that is not a DynasyncError of its own. */
    workerFailed: 'scaleout.workerFailed',
    /** The job's execution failed, timed out or was aborted (the message names it and its error). */
    executionFailed: 'scaleout.executionFailed',
    /** A task names a job whose `jobs/<jobId>/job.json` is not in the job store. */
    jobNotFound: 'scaleout.jobNotFound',
    /** A worker's environment variable is missing or malformed (the message names the variable). */
    invalidEnvironment: 'scaleout.invalidEnvironment',
  },
} as const;

/** An area of {@link ErrorCodes} (`config`, `verify`, …): the first segment of its codes. */
export type ErrorArea = keyof typeof ErrorCodes;

/** The codes of one area, e.g. `AreaErrorCode<'verify'>` is `'verify.invalidOption' | …`. */
export type AreaErrorCode<Area extends ErrorArea> =
  (typeof ErrorCodes)[Area][keyof (typeof ErrorCodes)[Area]];

/** A stable error code: the closed union of every code in {@link ErrorCodes}. */
export type ErrorCode = { [Area in ErrorArea]: AreaErrorCode<Area> }[ErrorArea];

/** What {@link DynasyncError.match} takes: an area with its dot (`'verify.'`) or a whole code. */
export type ErrorCodePrefix = `${ErrorArea}.` | ErrorCode;

/** The codes a {@link ErrorCodePrefix} matches. */
export type MatchedErrorCode<Prefix extends ErrorCodePrefix> = Extract<ErrorCode, `${Prefix}${string}`>;

/** Structured, value-free context of an error: paths, keys, regions, codes. */
export type ErrorPayload = Readonly<Record<string, unknown>>;

/**
 * @example
 * throw new DynasyncError(ErrorCodes.config.invalidField, 'regions.eu-west-1.table: expected a table name', {
 *   payload: { path: 'regions.eu-west-1.table' },
 * });
 */
export class DynasyncError extends Error {
  public readonly code: ErrorCode;
  public readonly payload: ErrorPayload;

  public constructor(
    code: ErrorCode,
    message: string,
    options: { payload?: ErrorPayload; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DynasyncError';
    this.code = code;
    this.payload = options.payload ?? {};
  }

  /**
   * True when `error` is a {@link DynasyncError} whose code starts with `prefix`: an area with its
   * dot (every code of that area) or a whole code. Narrows the code to the matching ones.
   * @example
   * if (DynasyncError.match(error, 'pipeline.')) skip(error.code); // error.code: 'pipeline.filterFailed' | …
   */
  public static match<Prefix extends ErrorCodePrefix>(
    error: unknown,
    prefix: Prefix,
  ): error is DynasyncError & { readonly code: MatchedErrorCode<Prefix> } {
    return error instanceof DynasyncError && error.code.startsWith(prefix);
  }
}

/** True when `error` is a {@link DynasyncError}, optionally with the given code. */
export const isDynasyncError = (error: unknown, code?: ErrorCode): error is DynasyncError =>
  error instanceof DynasyncError && (code === undefined || error.code === code);
