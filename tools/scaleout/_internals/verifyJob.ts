import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from '../../../core/config/types.js';
import { type KeyHasher, resolveKeyHasher } from '../../../keys/keyHasher.js';
import type { RetryPolicy } from '../../_shared/withRetries.js';
import { describeBoth } from '../../verify/_internals/describeBoth.js';
import { VerifyErrorCodes, verifyError } from '../../verify/errors.js';
import type { SettleContext } from '../../verify/settleCandidates.js';
import { jobSpecKey } from '../planJob.js';
import type { JobSpec, JobStore } from '../protocol.js';
import type { VerifyJobOptions } from '../verifyTasks.js';
import { getJson } from './jobStoreReads.js';
import { type VerifyJobKeys, verifyJobKeys } from './verifyJobKeys.js';

/** A verify job as every task of it sees it: its spec, store keys, clients and tables' keys. */
export interface VerifyJob
  extends Pick<
    SettleContext,
    | 'keyHashOf'
    | 'sourceClient'
    | 'targetClient'
    | 'sourceTable'
    | 'targetTable'
    | 'sourceKeyNames'
    | 'targetKeyNames'
  > {
  readonly spec: JobSpec;
  readonly options: VerifyJobOptions;
  readonly keys: VerifyJobKeys;
  /** Both tables have the same key attributes and no pipeline runs: a key is the same on both sides. */
  readonly sameKeys: boolean;
}

/** What loading a job needs. */
export interface VerifyJobSource {
  readonly store: JobStore;
  readonly config: Config;
  readonly clients: Readonly<Record<string, DynamoDBClient>>;
  readonly retry: RetryPolicy;
  /** True when the peer's pipeline is the identity. */
  readonly identity: boolean;
  /** Refuse a job planned with another config version. */
  readonly configVersion: string | undefined;
  readonly keyHasher: KeyHasher | undefined;
}

/** The job's spec; a missing, non-verify or other-config-version job is refused (`verify.jobMismatch`). */
const readSpec = async (source: VerifyJobSource, jobId: string): Promise<JobSpec> => {
  const spec = await getJson<JobSpec>(source.store, jobSpecKey(jobId));
  if (spec === undefined || spec.command !== 'verify')
    throw verifyError(VerifyErrorCodes.jobMismatch, `verify: the job store holds no verify job "${jobId}"`, {
      jobId,
    });
  if (source.configVersion !== undefined && spec.configVersion !== source.configVersion)
    throw verifyError(
      VerifyErrorCodes.jobMismatch,
      `verify: job "${jobId}" was planned with config version ${spec.configVersion}, this worker has ${source.configVersion}; start a new job`,
      { jobId },
    );
  return spec;
};

/**
 * Loads a verify job: reads its spec from the store, checks it, finds both sides' clients and tables
 * and describes the tables for their key attributes.
 * @throws DynasyncError `verify.jobMismatch` (see {@link readSpec}), `verify.invalidOption` when a side
 * has no client or table.
 */
export const loadVerifyJob = async (
  source: VerifyJobSource,
  jobId: string,
  signal?: AbortSignal,
): Promise<VerifyJob> => {
  const { config, retry } = source;
  const spec = await readSpec(source, jobId);
  const { from, to } = spec;
  const sourceClient = source.clients[from];
  const targetClient = source.clients[to];
  const sourceRegion = config.regions[from];
  const targetRegion = config.regions[to];
  if (sourceClient === undefined || targetClient === undefined || !sourceRegion || !targetRegion)
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `verify: no DynamoDB client or table for ${from} → ${to}`,
      {
        option: 'clients',
      },
    );
  const sourceTable = sourceRegion.table;
  const targetTable = targetRegion.table;
  const { sourceKeyNames, targetKeyNames, sameKeys } = await describeBoth({
    from,
    to,
    sourceClient,
    targetClient,
    sourceTable,
    targetTable,
    retry,
    identity: source.identity,
    signal,
  });
  const keyHashOf = source.keyHasher ?? (await resolveKeyHasher(config, spec.from));
  return {
    spec,
    keyHashOf,
    options: spec.options as VerifyJobOptions,
    keys: verifyJobKeys(jobId),
    sourceClient,
    targetClient,
    sourceTable,
    targetTable,
    sourceKeyNames,
    targetKeyNames,
    sameKeys,
  };
};

/**
 * Loads each job once per runner: tasks of the same job share one load; a load that fails is
 * forgotten, so the next task tries again.
 */
export const cacheJobs = (
  load: (jobId: string, signal?: AbortSignal) => Promise<VerifyJob>,
): ((jobId: string, signal?: AbortSignal) => Promise<VerifyJob>) => {
  const jobs = new Map<string, Promise<VerifyJob>>();
  return (jobId, signal) => {
    let loading = jobs.get(jobId);
    if (loading === undefined) {
      loading = load(jobId, signal);
      jobs.set(jobId, loading);
      loading.catch(() => jobs.delete(jobId));
    }
    return loading;
  };
};
