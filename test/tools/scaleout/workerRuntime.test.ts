import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import { DynasyncError, ErrorCodes } from '../../../core/errors.js';
import type { BackfillTaskDeps } from '../../../tools/scaleout/backfillTasks.js';
import { planJob } from '../../../tools/scaleout/planJob.js';
import type { JobSpec, ScaleoutTaskResult, TaskRunner } from '../../../tools/scaleout/protocol.js';
import type { VerifyTaskDeps } from '../../../tools/scaleout/verifyTasks.js';
import { createJobRunner } from '../../../tools/scaleout/workerRuntime.js';
import { memoryJobStore } from '../../helpers/scaleout.js';

const config = parseConfig({
  version: 1,
  name: 'orders',
  regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders-us' } },
  topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
});

const specOf = (
  command: 'verify' | 'backfill',
  jobId: string,
  configVersion = config.configVersion,
): JobSpec =>
  planJob({
    command,
    jobId,
    configVersion,
    from: 'eu-west-1',
    to: 'us-east-1',
    totalSegments: 2,
    shuffle: false,
    concurrency: 2,
    options: {},
  });

const settled: ScaleoutTaskResult = { kind: 'settle', inSync: true, reportKey: 'report.json' };

describe('createJobRunner', () => {
  let saltDir: string;
  beforeEach(async () => {
    saltDir = await mkdtemp(join(tmpdir(), 'dynasync-job-runner-'));
  });
  afterEach(() => rm(saltDir, { recursive: true, force: true }));

  /** A job runner whose verify and backfill runners are recorded fakes. */
  const setup = () => {
    const store = memoryJobStore();
    const built: { command: 'verify' | 'backfill'; deps: VerifyTaskDeps | BackfillTaskDeps }[] = [];
    const calls: string[] = [];
    const fake =
      (command: 'verify' | 'backfill') =>
      (deps: VerifyTaskDeps | BackfillTaskDeps): TaskRunner => {
        built.push({ command, deps });
        return async (task) => {
          calls.push(`${command}:${task.jobId}:${task.kind}`);
          return settled;
        };
      };
    const runner = createJobRunner({
      config,
      store,
      clients: {},
      saltDir,
      createVerifyRunner: fake('verify'),
      createBackfillRunner: fake('backfill'),
    });
    const put = (spec: JobSpec) => store.put(`jobs/${spec.jobId}/job.json`, JSON.stringify(spec));
    return { store, built, calls, runner, put };
  };
  const context = { deadlineAt: 0 };

  it('fails a task whose job is not in the store with scaleout.jobNotFound, and finds the job once planned', async () => {
    const { runner, put, calls } = setup();
    const error = await runner({ kind: 'settle', jobId: 'later' }, context).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DynasyncError);
    expect((error as DynasyncError).code).toBe(ErrorCodes.scaleout.jobNotFound);
    expect((error as DynasyncError).payload).toMatchObject({ jobId: 'later', path: 'jobs/later/job.json' });
    await put(specOf('verify', 'later'));
    await expect(runner({ kind: 'settle', jobId: 'later' }, context)).resolves.toEqual(settled);
    expect(calls).toEqual(['verify:later:settle']);
  });

  it('fails a job.json that is not a verify or backfill spec with scaleout.jobNotFound', async () => {
    const { runner, store } = setup();
    await store.put('jobs/bad/job.json', '{not json');
    await store.put('jobs/other/job.json', JSON.stringify({ jobId: 'other', command: 'migrate' }));
    for (const jobId of ['bad', 'other'])
      await expect(runner({ kind: 'settle', jobId }, context)).rejects.toMatchObject({
        code: ErrorCodes.scaleout.jobNotFound,
      });
  });

  it('refuses a job planned with another config version (config.tableMismatch) and builds no runner', async () => {
    const { runner, put, built } = setup();
    await put(specOf('backfill', 'old', 'aaaaaaaaaaaa'));
    const error = (await runner({ kind: 'scanSegment', jobId: 'old', segment: 0 }, context).catch(
      (caught: unknown) => caught,
    )) as DynasyncError;
    expect(error.code).toBe(ErrorCodes.config.tableMismatch);
    expect(error.payload).toMatchObject({ jobId: 'old', path: 'configVersion' });
    expect(error.message).toContain('aaaaaaaaaaaa');
    expect(error.message).toContain(config.configVersion);
    expect(built).toEqual([]);
  });

  it("dispatches each job to its command's runner, built once per job with the worker's config and version", async () => {
    const { runner, put, built, calls } = setup();
    await put(specOf('verify', 'v1'));
    await put(specOf('backfill', 'b1'));
    await runner({ kind: 'scanSegment', jobId: 'v1', segment: 0 }, context);
    await runner({ kind: 'scanSegment', jobId: 'b1', segment: 1 }, context);
    await runner({ kind: 'scanSegment', jobId: 'v1', segment: 1 }, context);
    await runner({ kind: 'settle', jobId: 'v1' }, context);
    await runner({ kind: 'settle', jobId: 'b1' }, context);

    expect(calls).toEqual([
      'verify:v1:scanSegment',
      'backfill:b1:scanSegment',
      'verify:v1:scanSegment',
      'verify:v1:settle',
      'backfill:b1:settle',
    ]);
    expect(built.map((entry) => entry.command)).toEqual(['verify', 'backfill']);
    for (const { deps } of built) {
      expect(deps.config).toBe(config);
      expect(deps.configVersion).toBe(config.configVersion);
      // No pipeline for us-east-1: items go as they are.
      expect(deps.transform).toBeUndefined();
    }
    const verifyDeps = built[0]!.deps as VerifyTaskDeps;
    expect(typeof verifyDeps.keyHasher).toBe('function');
    expect((built[1]!.deps as BackfillTaskDeps).keySealer).toBeUndefined();
  });

  it('builds one runner for tasks of the same job that arrive together', async () => {
    const { runner, put, built } = setup();
    await put(specOf('verify', 'v2'));
    await Promise.all(
      [0, 1].map((segment) => runner({ kind: 'scanSegment', jobId: 'v2', segment }, context)),
    );
    expect(built).toHaveLength(1);
  });
});
