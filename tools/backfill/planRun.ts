import { join } from 'node:path';
import { type DynamoDBClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { type RetryPolicy, withRetries } from '../_shared/withRetries.js';
import type { BackfillOptions } from './backfill.js';
import { type BackfillCheckpoint, CheckpointFile } from './CheckpointFile.js';
import { BackfillErrorCodes, backfillError } from './errors.js';
import { type PathReason, PathReasons, type WritePath, WritePaths } from './types.js';

/** The options the plan phase checks. */
export type BackfillSettingsInput = Pick<
  BackfillOptions,
  'config' | 'from' | 'to' | 'segments' | 'concurrency' | 'maxRps' | 'maxWps' | 'pageSize'
>;

/** The checked numeric options of a run. */
export interface BackfillSettings {
  readonly segments: number;
  readonly concurrency: number;
  readonly maxRps: number | undefined;
  readonly maxWps: number | undefined;
}

const invalid = (option: string, message: string) =>
  backfillError(BackfillErrorCodes.invalidOption, `backfill: ${message}`, { option });

const intIn = (name: string, value: number, min: number, max: number): number => {
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalid(name, `--${name} must be a whole number from ${min} to ${max}, got ${value}`);
  return value;
};

const positiveRate = (name: string, value: number | undefined): number | undefined => {
  if (value !== undefined && (!Number.isFinite(value) || value <= 0))
    throw invalid(name, `--${name} must be a positive number of capacity units per second, got ${value}`);
  return value;
};

/** A `backfill.invalidOption` error naming `option`. */
export const invalidBackfillOption = invalid;

/**
 * Checks the options before anything is read.
 * @throws DynasyncError `backfill.invalidOption` naming the option and the fix.
 */
export const validateBackfillOptions = (options: BackfillSettingsInput): BackfillSettings => {
  const regions = Object.keys(options.config.regions);
  for (const [name, region] of [
    ['from', options.from],
    ['to', options.to],
  ] as const)
    if (!regions.includes(region))
      throw invalid(name, `--${name} "${region}" is not a key of "regions" (${regions.join(', ')})`);
  if (options.from === options.to)
    throw invalid('to', `--from and --to are both "${options.from}"; name two different regions`);
  if (options.pageSize !== undefined) intIn('page-size', options.pageSize, 1, 1_000_000);
  return {
    segments: intIn('segments', options.segments ?? 4, 1, 1_000_000),
    concurrency: intIn('concurrency', options.concurrency ?? 32, 1, 1_024),
    maxRps: positiveRate('max-rps', options.maxRps),
    maxWps: positiveRate('max-wps', options.maxWps),
  };
};

/** The default checkpoint file of a run. */
export const defaultCheckpointPath = (config: Config, from: string, to: string): string =>
  join(config.replicator.checkpointDir, `backfill-${from}-${to}-${config.regions[to]!.table}.json`);

/** True when a strongly consistent scan finds no item at all (tombstones included) in the table. */
export const isTableEmpty = async (
  client: DynamoDBClient,
  region: string,
  table: string,
  retry: RetryPolicy,
): Promise<boolean> => {
  let startKey: ScanCommandInput['ExclusiveStartKey'];
  try {
    do {
      const page = await withRetries(
        () =>
          client.send(
            new ScanCommand({
              TableName: table,
              ConsistentRead: true,
              Limit: 1,
              ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
            }),
          ),
        retry,
      );
      if ((page.Count ?? 0) > 0) return false;
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return true;
  } catch (cause) {
    const error = cause as Error;
    throw new DynasyncError(
      ErrorCodes.config.tableUnreachable,
      `backfill: cannot read table "${table}" of region ${region} (${error.name}: ${error.message}); check regions.${region}.table, its endpoint and the credentials`,
      { payload: { region, table, awsError: error.name }, cause },
    );
  }
};

/** What identifies a run in its checkpoint. */
export interface RunIdentity {
  readonly from: string;
  readonly to: string;
  readonly sourceTable: string;
  readonly targetTable: string;
}

const sameRun = (state: BackfillCheckpoint, expected: RunIdentity & { readonly segments: number }) =>
  state.from === expected.from &&
  state.to === expected.to &&
  state.sourceTable === expected.sourceTable &&
  state.targetTable === expected.targetTable &&
  state.segments === expected.segments;

/**
 * The checkpoint to resume, or `undefined` for a new run.
 * @throws DynasyncError `backfill.checkpointMismatch` (resuming another run's checkpoint),
 *   `backfill.checkpointExists` (an unfinished checkpoint without `--resume`).
 */
export const checkpointToResume = async (
  checkpointPath: string,
  identity: RunIdentity,
  resume: boolean,
  segments: number | undefined,
): Promise<BackfillCheckpoint | undefined> => {
  const existing = await CheckpointFile.read(checkpointPath);
  if (existing !== undefined && resume) {
    if (!sameRun(existing, { ...identity, segments: segments ?? existing.segments }))
      throw backfillError(
        BackfillErrorCodes.checkpointMismatch,
        `backfill: the checkpoint ${checkpointPath} belongs to another run (${existing.from} → ${existing.to}, ${existing.sourceTable} → ${existing.targetTable}, ${existing.segments} segments); name another --checkpoint, or resume with the same options`,
        { checkpoint: checkpointPath },
      );
    return existing;
  }
  if (existing !== undefined && !existing.complete)
    throw backfillError(
      BackfillErrorCodes.checkpointExists,
      `backfill: an unfinished run's checkpoint is in ${checkpointPath}: add --resume to continue it, or remove the file to start over`,
      { checkpoint: checkpointPath },
    );
  return undefined;
};

/** What the path choice needs to know. */
export interface PathChoiceInput {
  readonly resumed: BackfillCheckpoint | undefined;
  readonly targetIdle: boolean;
  readonly fastPath: boolean;
  /** Asked only when the fast path is still possible (a consistent scan of the target). */
  readonly targetEmpty: () => Promise<boolean>;
}

/** The write path: batch writes only when provably nothing else is in or writes the target. */
export const chooseWritePath = async (
  input: PathChoiceInput,
): Promise<{ readonly chosen: WritePath; readonly reason: PathReason }> => {
  const { resumed } = input;
  if (resumed !== undefined) {
    // The fast path's promise must hold again now: nothing else may have started writing meanwhile.
    const fastAgain = resumed.path === WritePaths.batch && input.targetIdle && input.fastPath;
    const chosen =
      fastAgain || resumed.path === WritePaths.conditional ? resumed.path : WritePaths.conditional;
    return { chosen, reason: chosen === resumed.path ? PathReasons.resumed : PathReasons.resumedConditional };
  }
  if (!input.fastPath) return { chosen: WritePaths.conditional, reason: PathReasons.disabled };
  if (!input.targetIdle) return { chosen: WritePaths.conditional, reason: PathReasons.liveWritersPossible };
  if (await input.targetEmpty()) return { chosen: WritePaths.batch, reason: PathReasons.emptyAndIdle };
  return { chosen: WritePaths.conditional, reason: PathReasons.targetNotEmpty };
};

/** A new run's checkpoint state: every segment from its start. */
export const newCheckpointState = (
  identity: RunIdentity,
  segments: number,
  path: WritePath,
  startedAtMs: number,
): BackfillCheckpoint => ({
  format: 'dynasync-backfill/1',
  ...identity,
  segments,
  path,
  startedAt: new Date(startedAtMs).toISOString(),
  complete: false,
  progress: Array.from({ length: segments }, () => ({ done: false, lastKey: null, pages: 0, items: 0 })),
});
