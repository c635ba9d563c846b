import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllRuns, startCli } from '../helpers/childRun.js';

/**
 * An endpoint that accepts TCP connections, reads the request and never answers: the failure mode
 * of a half-dead proxy or a firewall that black-holes replies. Every request that reaches it is
 * counted, so a test can wait for "a call is in flight" instead of for a time.
 */
const silentEndpoint = async () => {
  const sockets = new Set<Socket>();
  const waiting: Array<() => void> = [];
  let requests = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => {
      requests += 1;
      for (const wake of waiting.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    /** Resolves when the next request arrives (call it before starting the client). */
    nextRequest: () => {
      const before = requests;
      return new Promise<void>((resolve) => {
        const check = () => (requests > before ? resolve() : waiting.push(check));
        check();
      });
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

let dir: string;
let silent: Awaited<ReturnType<typeof silentEndpoint>>;
let configFile: string;

beforeAll(async () => {
  silent = await silentEndpoint();
  dir = await mkdtemp(join(tmpdir(), 'dynasync-timeouts-'));
  configFile = join(dir, 'dynasync.json');
  await writeFile(
    configFile,
    JSON.stringify({
      version: 1,
      name: 'silent',
      regions: {
        'eu-west-1': { table: 'orders-eu', endpoint: silent.endpoint },
        'us-east-1': { table: 'orders-us', endpoint: silent.endpoint },
      },
      topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
      replicator: { checkpointDir: join(dir, 'checkpoints') },
    }),
  );
});
afterEach(killAllRuns);
afterAll(async () => {
  await silent.close();
  await rm(dir, { recursive: true, force: true });
});

describe('an endpoint that accepts connections and never answers', () => {
  it('run fails at start-up with config.tableUnreachable (TimeoutError) and exit 2, not a hang', async () => {
    // A tiny request timeout keeps the test short; the timeout is not retried at start-up.
    const child = startCli({
      args: ['run', '--config', configFile],
      env: { DYNASYNC_REQUEST_TIMEOUT_MS: '200' },
    });

    const exit = await child.exited;

    expect(exit.code, child.stderr()).toBe(2);
    expect(child.stderr()).toContain('(config.tableUnreachable)');
    expect(child.stderr()).toContain('TimeoutError');
    expect(child.stderr()).toContain('DYNASYNC_REQUEST_TIMEOUT_MS');
    expect(child.stderr()).not.toMatch(/^\s+at .+/m);
  });

  it('run receiving SIGTERM while DescribeTable is in flight exits 2 with poller.interrupted', async () => {
    const arrived = silent.nextRequest();
    const child = startCli({ args: ['run', '--config', configFile] });
    await arrived;

    const exit = await child.kill('SIGTERM');

    expect(exit, child.stderr()).toEqual({ code: 2, signal: null });
    expect(child.stderr()).toContain('(poller.interrupted)');
  });

  it.each([
    { command: 'verify', extra: ['--from', 'eu-west-1', '--to', 'us-east-1'], code: 'verify.aborted' },
    { command: 'backfill', extra: ['--checkpoint', 'backfill.json'], code: 'backfill.aborted' },
  ])(
    '$command receiving SIGTERM while a call hangs exits 2 with $code, aborting the call',
    async ({ command, extra, code }) => {
      const arrived = silent.nextRequest();
      const child = startCli({
        args: [
          command,
          '--config',
          configFile,
          ...extra.map((arg) => (arg.endsWith('.json') ? join(dir, arg) : arg)),
        ],
      });
      await arrived;

      const exit = await child.kill('SIGTERM');

      expect(exit, child.stderr()).toEqual({ code: 2, signal: null });
      expect(child.stderr()).toContain(`(${code})`);
      expect(child.stderr()).toContain('interrupted');
      expect(child.stderr(), 'the command stopped itself, not the fallback').not.toContain(
        'did not stop within',
      );
    },
  );
});
