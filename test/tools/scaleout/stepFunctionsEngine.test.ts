import type { SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, isDynasyncError } from '../../../core/errors.js';
import type { JobSpec, JobStore } from '../../../tools/scaleout/protocol.js';
import { executionNameOf, runStepFunctionsVerify } from '../../../tools/scaleout/stepFunctionsEngine.js';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:scaleout';

const memoryStore = (): JobStore & { objects: Map<string, Uint8Array> } => {
  const objects = new Map<string, Uint8Array>();
  return {
    objects,
    put: async (key, body) => {
      objects.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body);
    },
    get: async (key) => objects.get(key),
    list: async (prefix) => [...objects.keys()].filter((key) => key.startsWith(prefix)).sort(),
  };
};

const spec: JobSpec = {
  jobId: 'job-1',
  command: 'verify',
  configVersion: 'v1',
  from: 'eu-west-1',
  to: 'us-east-1',
  totalSegments: 4,
  segments: [0, 1, 2, 3],
  sample: 1,
  shuffle: false,
  partitions: 0,
  concurrency: 4,
  options: {},
  createdAt: '2026-12-02T00:00:00.000Z',
};

type Call = { name: string; input: Record<string, unknown> };

/** A fake SFN client: existing executions by name, and the statuses DescribeExecution answers in turn. */
const fakeSfn = (existing: Record<string, string>, statuses: Record<string, unknown>[], calls: Call[]) =>
  ({
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      calls.push({ name, input: command.input });
      if (name === 'StartExecutionCommand') {
        const execution = command.input.name as string;
        if (existing[execution] !== undefined)
          throw Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' });
        return { executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:${execution}` };
      }
      const arn = command.input.executionArn as string;
      const execution = arn.slice(arn.lastIndexOf(':') + 1);
      if (existing[execution] !== undefined) return { status: existing[execution] };
      return statuses.shift() ?? { status: 'RUNNING' };
    },
  }) as unknown as SFNClient;

describe('runStepFunctionsVerify', () => {
  it('writes the spec, starts job-1-1, reports progress from the store and returns the stored report', async () => {
    const store = memoryStore();
    const calls: Call[] = [];
    const progress: number[] = [];
    const statuses = [
      { status: 'RUNNING' },
      {
        status: 'SUCCEEDED',
        output: JSON.stringify({ kind: 'settle', inSync: true, reportKey: 'jobs/job-1/report.json' }),
      },
    ];
    const sfn = fakeSfn({}, statuses, calls);
    let clock = 0;
    const report = await runStepFunctionsVerify<{ inSync: boolean }>({
      sfn,
      store,
      stateMachineArn: ARN,
      spec,
      now: () => clock,
      sleep: async () => {
        clock += 1_000;
        await store.put('jobs/job-1/segments/0/result.json', '{}');
        await store.put('jobs/job-1/report.json', JSON.stringify({ inSync: true }));
      },
      onProgress: (p) => progress.push(p.segmentsDone),
    });
    expect(report).toEqual({ inSync: true });
    expect(JSON.parse(new TextDecoder().decode(store.objects.get('jobs/job-1/job.json')))).toEqual(spec);
    expect(calls[0]).toEqual({
      name: 'StartExecutionCommand',
      input: {
        stateMachineArn: ARN,
        name: 'job-1-1',
        input: JSON.stringify({ jobId: 'job-1', segments: [0, 1, 2, 3], partitions: [] }),
      },
    });
    expect(progress).toEqual([0, 1]);
  });

  it('resumes: follows a running execution of the same name, and starts the next attempt after a failed one', async () => {
    const calls: Call[] = [];
    const store = memoryStore();
    await store.put('jobs/job-1/report.json', '{"inSync":false}');
    const sfn = fakeSfn({ 'job-1-1': 'FAILED', 'job-1-2': 'RUNNING' }, [], calls);
    // job-1-2 runs on in this fake: the first poll's sleep stops the run (an interrupt).
    const controller = new AbortController();
    const error = await runStepFunctionsVerify({
      sfn,
      store,
      stateMachineArn: ARN,
      spec,
      signal: controller.signal,
      sleep: async () => controller.abort(),
    }).catch((e: unknown) => e);
    expect(isDynasyncError(error, ErrorCodes.cli.interrupted)).toBe(true);
    const starts = calls
      .filter((call) => call.name === 'StartExecutionCommand')
      .map((call) => call.input.name);
    expect(starts).toEqual(['job-1-1', 'job-1-2']);
    expect(
      calls.some(
        (call) =>
          call.name === 'DescribeExecutionCommand' && String(call.input.executionArn).endsWith(':job-1-2'),
      ),
    ).toBe(true);
  });

  it('throws scaleout.executionFailed naming the execution and its error when it fails', async () => {
    const sfn = fakeSfn({}, [{ status: 'FAILED', error: 'config.tableMismatch' }], []);
    const error = await runStepFunctionsVerify({
      sfn,
      store: memoryStore(),
      stateMachineArn: ARN,
      spec,
      sleep: async () => {},
    }).catch((e: unknown) => e);
    expect(isDynasyncError(error, ErrorCodes.scaleout.executionFailed)).toBe(true);
    expect((error as Error).message).toContain(':execution:scaleout:job-1-1');
    expect((error as { payload: { error: string } }).payload.error).toBe('config.tableMismatch');
  });

  it('names an execution after the job id and attempt, within Step Functions limits', () => {
    expect(executionNameOf('job 1/α', 3)).toBe('job_1__-3');
    expect(executionNameOf('x'.repeat(100), 1)).toHaveLength(72);
  });
});
