import type { Item } from '../../core/types.js';
import type { KeyHasher } from '../../keys/keyHasher.js';
import type { Difference, SourceTransform, VerifyProgress, VerifyReport } from '../verify/types.js';
import { defaultJobDir, type LocalJobOptions, openJob, runLocalJob } from './_internals/localJob.js';
import { FileJobStore } from './FileJobStore.js';
import { planJob } from './planJob.js';
import type { JobSpec } from './protocol.js';
import { createVerifyTaskRunner, readVerifyResult, type VerifyJobOptions } from './verifyTasks.js';

/** Options of {@link runLocalVerify}. */
export interface LocalVerifyOptions extends LocalJobOptions {
  /** Fraction of segments to scan (0 < f ≤ 1). @default 1 */
  readonly sample?: number;
  /** Folder for the tasks' scratch files. @default os.tmpdir() */
  readonly workDir?: string;
  readonly maxRps?: number;
  readonly transform?: SourceTransform;
  readonly sourceKeyOf?: (targetKey: Item) => Item | undefined;
  readonly keyHasher?: KeyHasher;
  readonly options?: VerifyJobOptions;
  readonly onProgress?: (progress: VerifyProgress) => void;
  /** Called after each task with the segments done so far (for a progress line). */
  readonly onSegments?: (done: number, total: number) => void;
}

export { defaultJobDir };

/**
 * `verify` through the scale-out task engine on this machine: plans the job (or finds it, to
 * resume), runs its tasks with N in-process workers over a {@link FileJobStore}, and returns the
 * report with the job's differences and rejections (read back from the store).
 */
export const runLocalVerify = async (
  options: LocalVerifyOptions,
): Promise<{
  report: VerifyReport;
  spec: JobSpec;
  dir: string;
  differences: AsyncIterable<Difference>;
  rejected: AsyncIterable<Record<string, unknown>>;
}> => {
  const dir = options.jobDir ?? defaultJobDir();
  const store = new FileJobStore(dir);
  const workers = options.workers ?? 4;
  const spec = await openJob(store, options.jobId, () =>
    planJob({
      command: 'verify',
      configVersion: options.config.configVersion,
      ...(options.workDir === undefined ? {} : { workDir: options.workDir }),
      from: options.from,
      to: options.to,
      totalSegments: options.segments ?? 4,
      ...(options.sample === undefined ? {} : { sample: options.sample }),
      shuffle: options.transform !== undefined,
      ...(options.maxRps === undefined ? {} : { maxRps: options.maxRps }),
      concurrency: workers,
      ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
      options: { ...options.options },
    }),
  );
  options.onJob?.(spec, dir);
  const runner = createVerifyTaskRunner({
    store,
    config: options.config,
    clients: options.clients,
    configVersion: options.config.configVersion,
    ...(options.workDir === undefined ? {} : { workDir: options.workDir }),
    ...(options.transform === undefined ? {} : { transform: options.transform }),
    ...(options.sourceKeyOf === undefined ? {} : { sourceKeyOf: options.sourceKeyOf }),
    ...(options.keyHasher === undefined ? {} : { keyHasher: options.keyHasher }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  await runLocalJob(spec, runner, {
    workers,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onSegments === undefined ? {} : { onSegments: options.onSegments }),
  });
  const result = await readVerifyResult(store, spec.jobId);
  return { ...result, spec, dir };
};
