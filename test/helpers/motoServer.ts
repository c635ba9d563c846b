import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../../tools/localDynamo.js';

/**
 * `moto_server` (Python moto 5.2: SQS, KMS, S3, STS over HTTP) for integration tests. One server
 * per test file: start it in `beforeAll`, stop it in `afterAll`. It is only ever ended by its own pid.
 *
 * @example
 * const available = motoAvailable();
 * if (!available) console.warn(MOTO_MISSING);
 * describe.skipIf(!available)('SqsDeadLetterSink on moto_server', () => {
 *   let moto: MotoServer;
 *   beforeAll(async () => { moto = await startMoto(); });
 *   afterAll(() => moto.stop());
 * });
 */

/** The command that starts moto's server (override with `DYNASYNC_MOTO_SERVER`). */
export const MOTO_COMMAND = process.env.DYNASYNC_MOTO_SERVER ?? 'moto_server';

/** The notice printed where moto_server is absent and its tests are skipped. */
export const MOTO_MISSING = `moto_server is not installed (\`${MOTO_COMMAND} --help\` failed): skipping the tests that need it; install it with: pip install 'moto[server]'`;

/** A running moto_server. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`: the endpoint for every SDK client. */
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** How many HTTP GETs it took until the server answered (1 = the first one). */
  readonly startAttempts: number;
  /** Milliseconds from spawn to the first answer (reported, never asserted). */
  readonly startupMs: number;
  /** Forgets every resource (queues, keys, buckets): `POST /moto-api/reset`. */
  reset(): Promise<void>;
  /** SIGTERM to its pid, SIGKILL when it has not exited after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Client settings for moto: its endpoint, a fixed region and dummy credentials. */
export interface MotoClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly maxAttempts: number;
}

/** Options of {@link startMoto}. */
export interface StartMotoOptions {
  /** The server command. @default {@link MOTO_COMMAND} */
  readonly command?: string;
  /** @default a free loopback port */
  readonly port?: number;
  /** GETs until the server must answer; a generous start-up limit, counted, not timed. @default 600 */
  readonly maxAttempts?: number;
  /** Pause between two GETs. @default 100 */
  readonly pollIntervalMs?: number;
}

let available: boolean | undefined;

/** True when `moto_server` can be started here (`moto_server --help` exits 0). Checked once per process. */
export const motoAvailable = (): boolean => {
  available ??= spawnSync(MOTO_COMMAND, ['--help'], { stdio: 'ignore', timeout: 60_000 }).status === 0;
  return available;
};

/**
 * {@link motoAvailable}, and the visible notice when it is not: call it once at the top of a test
 * file and pass the result to `describe.skipIf(!…)`.
 */
export const motoAvailableOrWarn = (): boolean => {
  const ok = motoAvailable();
  if (!ok) console.warn(MOTO_MISSING);
  return ok;
};

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

const running = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/** Settings for an AWS SDK client that talks to this moto_server. */
export const motoClientConfig = (
  moto: Pick<MotoServer, 'endpoint'>,
  region = 'eu-west-1',
): MotoClientConfig => ({
  endpoint: moto.endpoint,
  region,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  maxAttempts: 1,
});

/**
 * Starts `moto_server -H 127.0.0.1 -p PORT` on a free port and polls `GET /moto-api/` until it
 * answers, at most `maxAttempts` times.
 * @throws Error when the server exits early or has not answered after `maxAttempts` GETs (it is stopped then).
 */
export const startMoto = async (options: StartMotoOptions = {}): Promise<MotoServer> => {
  const command = options.command ?? MOTO_COMMAND;
  const port = options.port ?? (await freePort());
  const started = performance.now();
  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}: ${(await spawnError).message}`);
  const endpoint = `http://127.0.0.1:${port}`;
  // If this process ends without stop() (a crash, process.exit), take the server along, by its pid.
  const onExit = () => {
    if (running(child)) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', onExit);

  const stop = async (graceMs = 10_000): Promise<void> => {
    process.off('exit', onExit);
    if (!running(child)) return;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (running(child)) process.kill(pid, 'SIGKILL');
    }, graceMs);
    await exited(child);
    clearTimeout(timer);
  };

  const maxAttempts = options.maxAttempts ?? 600;
  let attempts = 0;
  try {
    for (;;) {
      if (!running(child))
        throw new Error(`${command} exited (code ${child.exitCode}) before answering: ${output}`);
      attempts += 1;
      try {
        const response = await fetch(`${endpoint}/moto-api/`);
        await response.arrayBuffer();
        if (response.ok) break;
      } catch {
        // Not listening yet.
      }
      if (attempts >= maxAttempts)
        throw new Error(
          `${command} (pid ${pid}) did not answer on ${endpoint} after ${attempts} GETs: ${output}`,
        );
      await delay(options.pollIntervalMs ?? 100);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const startupMs = Math.round(performance.now() - started);
  return {
    endpoint,
    port,
    pid,
    startAttempts: attempts,
    startupMs,
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`moto_server reset answered ${response.status}`);
    },
    stop,
  };
};
