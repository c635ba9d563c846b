import { setTimeout as delay } from 'node:timers/promises';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { startMoto } from '../test/helpers/motoServer.js';
import { deployToMoto } from '../test/helpers/scaleoutStack.js';
import type { TaskRunner } from '../tools/scaleout/protocol.js';
import { runSqsWorker } from '../tools/scaleout/sqsWorker.js';
import type { Metric } from './types.js';

/** Options of {@link benchScaleoutOverhead}. */
export interface ScaleoutOverheadOptions {
  /** Segments of the execution. @default 32 */
  readonly segments?: number;
  /** SQS workers. @default 4 */
  readonly workers?: number;
}

/** A runner that does nothing: every task ends at once, so the time measured is the orchestration's. */
const noOp: TaskRunner = async (task) => {
  if (task.kind === 'scanSegment')
    return { kind: 'scanSegment', segment: task.segment, done: true, scanned: { source: 0, target: 0 } };
  if (task.kind === 'comparePartition')
    return { kind: 'comparePartition', partition: task.partition, candidates: 0 };
  return { kind: 'settle', inSync: true, reportKey: `jobs/${task.jobId}/report.json` };
};

/**
 * `scaleout_overhead_ms_per_segment` (report): the construct's state machine under moto_server (the
 * task queue's URL swapped in, see docs/scaleout.md) over N segments with a no-op runner on SQS
 * workers; total execution time ÷ N. moto's interpreter is not AWS's: the figure is an upper bound
 * of the driver-and-transport cost per segment on this machine, not a prediction of AWS latency.
 */
export const benchScaleoutOverhead = async (
  options: ScaleoutOverheadOptions = {},
): Promise<Record<string, Metric>> => {
  const segments = options.segments ?? 32;
  const moto = await startMoto();
  const controller = new AbortController();
  try {
    const { sfn, sqs, queueUrl, stateMachineArn } = await deployToMoto(moto, { bucket: false });
    const workers = Array.from({ length: options.workers ?? 4 }, () =>
      runSqsWorker({ queueUrl, runner: noOp, sfn, sqs, signal: controller.signal, waitSeconds: 1 }),
    );
    const started = performance.now();
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: 'bench-1',
        input: JSON.stringify({
          jobId: 'bench',
          segments: Array.from({ length: segments }, (_, i) => i),
          partitions: [],
        }),
      }),
    );
    let status = 'RUNNING';
    while (status === 'RUNNING') {
      await delay(100);
      status = (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status ?? 'UNKNOWN';
    }
    const totalMs = performance.now() - started;
    controller.abort();
    await Promise.allSettled(workers);
    if (status !== 'SUCCEEDED') throw new Error(`scaleout overhead: the execution ended ${status}`);
    return {
      scaleout_overhead_ms_per_segment: {
        value: Math.round((totalMs / segments) * 10) / 10,
        unit: 'ms/segment',
        target: null,
        pass: null,
        detail: {
          segments,
          workers: options.workers ?? 4,
          totalMs: Math.round(totalMs),
          engine: 'moto_server',
        },
      },
    };
  } finally {
    controller.abort();
    await moto.stop();
  }
};
