import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abortableDelay } from '../../../core/async/abortableDelay.js';
import { type MetadataNames, metadataNames } from '../../../core/config/topology.js';
import type { Config } from '../../../core/config/types.js';
import type { Item } from '../../../core/types.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../../_shared/withRetries.js';
import { rejectingTransform } from '../../verify/_internals/verifyRun.js';
import { type ComparisonRules, comparisonRules } from '../../verify/digest.js';
import { identityTransform, type SourceTransform, type VerifyProgress } from '../../verify/types.js';
import type { JobStore } from '../protocol.js';
import type { VerifyTaskDeps } from '../verifyTasks.js';
import { cacheJobs, loadVerifyJob, type VerifyJob } from './verifyJob.js';

/** A verify task runner's dependencies, defaults applied, resolved once for all its tasks. */
export interface VerifyTaskContext {
  readonly store: JobStore;
  readonly config: Config;
  /** Wall clock, epoch ms. */
  readonly now: () => number;
  /** The clock `deadlineAt` is read on. */
  readonly clock: () => number;
  readonly retry: RetryPolicy;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly progress: (progress: VerifyProgress) => void;
  /** The peer's pipeline as given; `undefined` for the identity. */
  readonly pipeline: SourceTransform | undefined;
  /** The peer's pipeline, rejections turned into no output. */
  readonly transform: SourceTransform;
  readonly sourceKeyOf: ((targetKey: Item) => Item | undefined) | undefined;
  readonly names: MetadataNames;
  readonly rules: ComparisonRules;
  /** Scratch folder's parent; `undefined` for `os.tmpdir()`. */
  readonly workDir: string | undefined;
  /** The job `jobId`, loaded once per runner. */
  readonly job: (jobId: string, signal?: AbortSignal) => Promise<VerifyJob>;
}

/** Applies {@link VerifyTaskDeps}' defaults once. */
export const resolveVerifyTaskContext = (deps: VerifyTaskDeps): VerifyTaskContext => {
  const { store, config } = deps;
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...deps.retry };
  const given = deps.transform ?? identityTransform;
  const names = metadataNames(config);
  const job = cacheJobs((jobId, signal) =>
    loadVerifyJob(
      {
        store,
        config,
        clients: deps.clients,
        retry,
        identity: given === identityTransform,
        configVersion: deps.configVersion,
        keyHasher: deps.keyHasher,
      },
      jobId,
      signal,
    ),
  );
  return {
    store,
    config,
    now: deps.now ?? Date.now,
    clock: deps.clock ?? Date.now,
    retry,
    sleep: deps.sleep ?? abortableDelay,
    progress: deps.onProgress ?? (() => undefined),
    pipeline: given === identityTransform ? undefined : given,
    transform: rejectingTransform(given),
    sourceKeyOf: deps.sourceKeyOf,
    names,
    rules: comparisonRules(config, names),
    workDir: deps.workDir,
    job,
  };
};

/** A fresh scratch folder for one task (`<workDir>/<prefix>XXXXXX`); the task removes it. */
export const taskDir = (context: VerifyTaskContext, prefix: string): Promise<string> =>
  mkdtemp(join(context.workDir ?? tmpdir(), prefix));
