import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { resolveKeyHasher } from '../../keys/keyHasher.js';
import type { KeyProvider, ModuleLoader } from '../../pipeline/types.js';
import { createReadClients } from '../_shared/createReadClients.js';
import { peerPipeline } from '../_shared/peerPipeline.js';
import { pipelineKeySealer, pipelineTransform } from '../_shared/peerTransform.js';
import { type BackfillTaskDeps, createBackfillTaskRunner } from './backfillTasks.js';
import { jobSpecKey } from './planJob.js';
import type { JobSpec, JobStore, TaskRunner } from './protocol.js';
import { createVerifyTaskRunner, type VerifyTaskDeps } from './verifyTasks.js';

/** What {@link createJobRunner} needs: the worker's config and job store; the rest has defaults. */
export interface JobRunnerDeps {
  /** The worker's config: a job planned with another config version is refused. */
  readonly config: Config;
  readonly store: JobStore;
  /** DynamoDB clients by region (the caller owns them). @default one per region of the config, made on the first job */
  readonly clients?: Readonly<Record<string, DynamoDBClient>>;
  /** Masking keys of the target's pipeline. @default the provider the config's `keys` asks for */
  readonly keys?: KeyProvider;
  /** Loads the target pipeline's map modules. @default `import()` */
  readonly loadModule?: ModuleLoader;
  /** Folder of verify tasks' scratch files. @default os.tmpdir() */
  readonly workDir?: string;
  /**
   * Folder of the key-hash salt of a config without `keys` (see `resolveKeyHasher`; a Lambda can
   * only write `/tmp`). @default the config's `replicator.checkpointDir`
   */
  readonly saltDir?: string;
  /** @default createVerifyTaskRunner */
  readonly createVerifyRunner?: (deps: VerifyTaskDeps) => TaskRunner;
  /** @default createBackfillTaskRunner */
  readonly createBackfillRunner?: (deps: BackfillTaskDeps) => TaskRunner;
}

const decoder = new TextDecoder();

/**
 * Reads a job's spec from the store.
 * @throws DynasyncError `scaleout.jobNotFound` when `jobs/<jobId>/job.json` is missing or not JSON
 */
const loadSpec = async (store: JobStore, jobId: string): Promise<JobSpec> => {
  const key = jobSpecKey(jobId);
  const body = await store.get(key);
  let spec: Partial<JobSpec> | undefined;
  try {
    spec = body === undefined ? undefined : (JSON.parse(decoder.decode(body)) as Partial<JobSpec>);
  } catch {
    spec = undefined;
  }
  if (spec === undefined || spec === null || (spec.command !== 'verify' && spec.command !== 'backfill'))
    throw new DynasyncError(
      ErrorCodes.scaleout.jobNotFound,
      `scaleout: the job store holds no verify or backfill job "${jobId}" (${key}); plan the job with the same job bucket and prefix as this worker's`,
      { payload: { jobId, path: key } },
    );
  return spec as JobSpec;
};

/**
 * The task runner of `dynasync worker` and the worker Lambda: for each task it reads the task's
 * {@link JobSpec} from the store (once per job), refuses a job planned with another config version,
 * and hands the task to the verify or backfill task runner of that job, wired from the config as
 * `dynasync verify` / `dynasync backfill` wire themselves (the target's pipeline, the key hasher,
 * the masking key's sealer, one DynamoDB client per region). One runner per job, kept.
 *
 * ```text
 * task ──► spec of task.jobId (cached) ──► configVersion = worker's? ──no──► config.tableMismatch
 *                                                 │ yes
 *                                                 ▼
 *                runner of the job (cached): spec.command verify ─► createVerifyTaskRunner
 *                                                         backfill ─► createBackfillTaskRunner
 * ```
 * @throws DynasyncError `scaleout.jobNotFound`, `config.tableMismatch` (another config version), and
 *   whatever the job's runner throws
 * @example
 * const runner = createJobRunner({ config: loadConfigFile('dynasync.json'), store: new FileJobStore(dir) });
 */
export const createJobRunner = (deps: JobRunnerDeps): TaskRunner => {
  const { config, store } = deps;
  const specs = new Map<string, Promise<JobSpec>>();
  const runners = new Map<string, Promise<TaskRunner>>();
  let clients = deps.clients;
  const clientsOf = () => {
    clients ??= createReadClients(config);
    return clients;
  };

  const specOf = (jobId: string): Promise<JobSpec> => {
    let spec = specs.get(jobId);
    if (spec === undefined) {
      spec = loadSpec(store, jobId);
      specs.set(jobId, spec);
      // A job not there yet may be planned later: only a found spec is kept.
      spec.catch(() => specs.delete(jobId));
    }
    return spec;
  };

  const build = async (spec: JobSpec): Promise<TaskRunner> => {
    const io = {
      ...(deps.keys === undefined ? {} : { keys: deps.keys }),
      ...(deps.loadModule === undefined ? {} : { loadModule: deps.loadModule }),
    };
    const pipeline = await peerPipeline(config, spec.from, spec.to, io);
    const transform = pipelineTransform(pipeline, spec.from, spec.to);
    const common = {
      config,
      store,
      clients: clientsOf(),
      configVersion: config.configVersion,
      ...(transform === undefined ? {} : { transform }),
    };
    if (spec.command === 'backfill') {
      const keySealer = pipelineKeySealer(config, spec.from, pipeline, deps.keys);
      return (deps.createBackfillRunner ?? createBackfillTaskRunner)({
        ...common,
        ...(keySealer === undefined ? {} : { keySealer }),
      });
    }
    const keyHasher = await resolveKeyHasher(config, spec.from, {
      ...(deps.keys === undefined ? {} : { keys: deps.keys }),
      ...(deps.saltDir === undefined ? {} : { saltDir: deps.saltDir }),
    });
    return (deps.createVerifyRunner ?? createVerifyTaskRunner)({
      ...common,
      keyHasher,
      ...(deps.workDir === undefined ? {} : { workDir: deps.workDir }),
    });
  };

  const runnerOf = (spec: JobSpec): Promise<TaskRunner> => {
    let runner = runners.get(spec.jobId);
    if (runner === undefined) {
      runner = build(spec);
      runners.set(spec.jobId, runner);
      runner.catch(() => runners.delete(spec.jobId));
    }
    return runner;
  };

  return async (task, context) => {
    const spec = await specOf(task.jobId);
    if (spec.configVersion !== config.configVersion)
      throw new DynasyncError(
        ErrorCodes.config.tableMismatch,
        `scaleout: job "${task.jobId}" was planned with config version ${spec.configVersion}, this worker runs config version ${config.configVersion}; deploy the worker with the config the job was planned with, or plan a new job`,
        { payload: { jobId: task.jobId, path: 'configVersion' } },
      );
    return (await runnerOf(spec))(task, context);
  };
};
