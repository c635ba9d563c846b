import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { motoAvailableOrWarn, motoClientConfig, startMoto } from './motoServer.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const dir = mkdtempSync(join(tmpdir(), 'dynasync-moto-helper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('startMoto without a working server', () => {
  it('reports a command that does not exist', async () => {
    await expect(startMoto({ command: join(dir, 'no-such-server') })).rejects.toThrow(
      /could not start .*ENOENT/,
    );
  });

  it('reports a server that exits before answering, instead of waiting for it', async () => {
    await expect(startMoto({ command: '/bin/false' })).rejects.toThrow(/exited \(code 1\) before answering/);
  });

  it('gives up after the counted GETs and ends the process it started, by its pid', async () => {
    // A "server" that never listens.
    const silent = join(dir, 'silent-server');
    writeFileSync(silent, '#!/bin/sh\nexec sleep 600\n');
    chmodSync(silent, 0o700);
    const error = await startMoto({ command: silent, maxAttempts: 3, pollIntervalMs: 1 }).catch(
      (caught: unknown) => caught as Error,
    );

    const match = /\(pid (\d+)\) did not answer on http:\/\/127\.0\.0\.1:\d+ after 3 GETs/.exec(
      String(error),
    );
    expect(match).not.toBeNull();
    expect(alive(Number(match![1]))).toBe(false);
  });
});

describe.skipIf(!motoAvailableOrWarn())('startMoto with moto_server', () => {
  it('starts on a free port, serves SQS there, forgets everything on reset(), and stop() ends its own pid', async () => {
    const moto = await startMoto();
    console.info(`moto_server answered after ${moto.startAttempts} GET(s), ${moto.startupMs} ms`);
    const sqs = new SQSClient(motoClientConfig(moto));
    try {
      expect(moto.endpoint).toBe(`http://127.0.0.1:${moto.port}`);
      expect(alive(moto.pid)).toBe(true);
      await sqs.send(new CreateQueueCommand({ QueueName: 'helper-test' }));
      expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls).toHaveLength(1);
      await moto.reset();
      expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
    } finally {
      sqs.destroy();
      await moto.stop();
    }
    expect(alive(moto.pid)).toBe(false);
  });
});
