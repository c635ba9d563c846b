import { setTimeout as delay } from 'node:timers/promises';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { motoClientConfig, startMoto } from '../test/helpers/motoServer.js';
import { scaleoutStack, stateMachineDefinition, taskQueueLogicalId } from '../test/helpers/scaleoutStack.js';
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
    await fetch(`${moto.endpoint}/moto-api/config`, {
      method: 'POST',
      body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
    });
    const sfn = new SFNClient(motoClientConfig(moto));
    const sqs = new SQSClient(motoClientConfig(moto));
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'tasks' }))).QueueUrl!;
    const synth = scaleoutStack();
    const definition = stateMachineDefinition(synth.template, {
      [taskQueueLogicalId(synth)]: queueUrl,
      'AWS::Partition': 'aws',
      'AWS::Region': 'eu-west-1',
      'AWS::AccountId': '123456789012',
    });
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: 'bench',
        definition: JSON.stringify(definition),
        roleArn: 'arn:aws:iam::123456789012:role/bench',
      }),
    );
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
