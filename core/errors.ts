/**
 * The one error type of dynasync. Every error carries a stable, dotted `code`
 * (`config.invalidField`, `codec.invalidNumber`, `replicator.itemTooLarge`, ...);
 * tests and callers match on the code, never on the message text.
 *
 * Messages say what went wrong, where (record key, config path) and how to fix it.
 * They never contain item values: a payload holds keys, paths and codes only.
 */
export const ErrorCodes = {
  configInvalidField: 'config.invalidField',
  configUnreadable: 'config.unreadable',
  configTableMismatch: 'config.tableMismatch',
  codecInvalidValue: 'codec.invalidValue',
  codecInvalidNumber: 'codec.invalidNumber',
  codecEmptySet: 'codec.emptySet',
  codecDuplicateSetMember: 'codec.duplicateSetMember',
  recordMalformed: 'replicator.malformedRecord',
  recordUnsupportedViewType: 'replicator.unsupportedStreamViewType',
  recordUnstampedWrite: 'replicator.unstampedWrite',
  itemTooLarge: 'replicator.itemTooLarge',
  writeRejected: 'replicator.writeRejected',
  deadLetterFailed: 'replicator.deadLetterFailed',
  recordVersionFromFuture: 'replicator.versionFromFuture',
  recordForeign: 'replicator.foreignRecord',
  redriveInvalidOption: 'redrive.invalidOption',
  versionInvalid: 'conflict.invalidVersion',
  mergeInvalidWrite: 'conflict.invalidWrite',
  mergeFailed: 'conflict.mergeFailed',
  mergeContended: 'conflict.mergeContended',
  mergeModuleInvalid: 'conflict.invalidMergeModule',
  clientClockBehind: 'client.clockBehind',
  clientVersionFromFuture: 'client.versionFromFuture',
  pollerShardFailed: 'poller.shardFailed',
  checkpointCorrupt: 'poller.checkpointCorrupt',
  pollerStreamGone: 'poller.streamGone',
  pollerDataTrimmed: 'poller.dataTrimmed',
  pollerStatusCorrupt: 'poller.statusCorrupt',
  pollerInterrupted: 'poller.interrupted',
  tableUnreachable: 'config.tableUnreachable',
  pipelineFilterFailed: 'pipeline.filterFailed',
  pipelineMaskFailed: 'pipeline.maskFailed',
  pipelineMapFailed: 'pipeline.mapFailed',
  pipelineInvalidOutput: 'pipeline.invalidOutput',
  pipelineKeySchema: 'pipeline.keySchemaViolation',
  pipelineItemTooLarge: 'pipeline.itemTooLarge',
  pipelineKeyUnavailable: 'pipeline.keyUnavailable',
  pipelineDecryptFailed: 'pipeline.decryptFailed',
  pipelineModuleInvalid: 'pipeline.moduleInvalid',
  pipelineNotResolved: 'pipeline.notResolved',
  localDynamoMissing: 'demo.localDynamoMissing',
  initFileExists: 'init.fileExists',
  initInvalidOption: 'init.invalidOption',
  tablesInvalidOption: 'tables.invalidOption',
  tablesNoKeySchema: 'tables.noKeySchema',
  tablesCreateFailed: 'tables.createFailed',
  scaleoutInvalidMessage: 'scaleout.invalidMessage',
  scaleoutWorkerFailed: 'scaleout.workerFailed',
  scaleoutExecutionFailed: 'scaleout.executionFailed',
  cliUsage: 'cli.usage',
  cliUnexpected: 'cli.unexpected',
  cliInterrupted: 'cli.interrupted',
} as const;

/** A stable error code; see {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Structured, value-free context of an error: paths, keys, regions, codes. */
export type ErrorPayload = Readonly<Record<string, unknown>>;

/**
 * @example
 * throw new DynasyncError(ErrorCodes.configInvalidField, 'regions.eu-west-1.table: expected a table name', {
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
}

/** True when `error` is a {@link DynasyncError}, optionally with the given code. */
export const isDynasyncError = (error: unknown, code?: ErrorCode): error is DynasyncError =>
  error instanceof DynasyncError && (code === undefined || error.code === code);
