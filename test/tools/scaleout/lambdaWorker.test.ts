import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../core/errors.js';
import { createLambdaWorkerHandler } from '../../../tools/scaleout/lambdaWorker.js';
import { readWorkerEnv } from '../../../tools/scaleout/workerEnv.js';

/** A Step Functions client that records what it is sent. */
const recordingSfn = () => {
  const sent: unknown[] = [];
  const sfn = { send: async (command: unknown) => void sent.push(command) } as unknown as SFNClient;
  return { sfn, sent };
};
const message = (jobId: string) => ({
  messageId: `m-${jobId}`,
  body: JSON.stringify({ taskToken: `token-${jobId}`, task: { kind: 'settle', jobId } }),
});
const context = { getRemainingTimeInMillis: () => 60_000 };

describe('createLambdaWorkerHandler', () => {
  it('answers every task with the error of a runner that cannot be built (a bad environment), built once', async () => {
    const { sfn, sent } = recordingSfn();
    let builds = 0;
    const handler = createLambdaWorkerHandler({
      sfn,
      runner: () => {
        builds += 1;
        readWorkerEnv({}); // throws scaleout.invalidEnvironment
        throw new Error('readWorkerEnv accepted an empty environment');
      },
    });
    expect(builds).toBe(0);
    const first = await handler({ Records: [message('a')] }, context);
    const second = await handler({ Records: [message('b')] }, context);
    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
    expect(builds).toBe(1);
    expect(sent).toHaveLength(2);
    for (const [index, command] of sent.entries()) {
      expect(command).toBeInstanceOf(SendTaskFailureCommand);
      expect((command as SendTaskFailureCommand).input).toMatchObject({
        taskToken: `token-${index === 0 ? 'a' : 'b'}`,
        error: ErrorCodes.scaleout.invalidEnvironment,
      });
    }
  });

  it("answers with the runner's result once it is built", async () => {
    const { sfn, sent } = recordingSfn();
    const handler = createLambdaWorkerHandler({
      sfn,
      runner: () => async () => ({ kind: 'settle', inSync: true, reportKey: 'jobs/a/report.json' }),
    });
    expect((await handler({ Records: [message('a')] }, context)).batchItemFailures).toEqual([]);
    expect(sent[0]).toBeInstanceOf(SendTaskSuccessCommand);
  });
});
