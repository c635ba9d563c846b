import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError, ErrorClasses } from '../../replicator/classifyError.js';
import { localClient, localEndpoint, uniqueTableName } from '../helpers/dynamo.js';
import { FaultProxy, type FaultRates, mulberry32, type RunningFaultProxy } from '../helpers/faultProxy.js';

const local = { region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

describe('FaultProxy in front of DynamoDB Local', () => {
  const direct = localClient(0);
  const table = uniqueTableName('fp');
  const running: RunningFaultProxy[] = [];
  const clients: Array<{ destroy(): void }> = [];

  /** A proxy with the given rates and an SDK client through it (one attempt, as dynasync's clients). */
  const through = async (rates: FaultRates, appliesTo?: (target: string) => boolean) => {
    const proxy = new FaultProxy({
      target: localEndpoint(0),
      rates,
      seed: 7,
      slowMs: 50,
      ...(appliesTo === undefined ? {} : { appliesTo }),
    });
    const started = await proxy.start();
    running.push(started);
    const client = new DynamoDBClient({ ...local, endpoint: started.endpoint, maxAttempts: 1 });
    clients.push(client);
    return { proxy, client, endpoint: started.endpoint };
  };

  const put = (client: DynamoDBClient, pk: string) =>
    client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, n: { N: '1' } } }));

  const failure = async (promise: Promise<unknown>): Promise<Error & Record<string, unknown>> => {
    try {
      await promise;
    } catch (error) {
      return error as Error & Record<string, unknown>;
    }
    throw new Error('expected the call to fail');
  };

  beforeAll(async () => {
    await direct.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await Promise.all(running.map((proxy) => proxy.stop()));
    direct.destroy();
  });

  it('throttles: the SDK throws ThrottlingException (HTTP 400), which dynasync retries', async () => {
    const { proxy, client } = await through({ throttle: 1 });

    const error = await failure(put(client, 'throttled'));

    expect(error.name).toBe('ThrottlingException');
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(400);
    expect(classifyError(error)).toBe(ErrorClasses.transient);
    expect(proxy.counts.throttle).toBe(1);
    expect(proxy.counts.forwarded).toBe(0);
    const { Item } = await direct.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'throttled' } } }),
    );
    expect(Item).toBeUndefined();
  });

  it('throttles DynamoDB Streams calls the same way', async () => {
    const { endpoint } = await through({ throttle: 1 });
    const streams = new DynamoDBStreamsClient({ ...local, endpoint, maxAttempts: 1 });
    clients.push(streams);
    const { Table } = await direct.send(new DescribeTableCommand({ TableName: table }));

    const error = await failure(
      streams.send(new DescribeStreamCommand({ StreamArn: Table!.LatestStreamArn! })),
    );

    expect(error.name).toBe('ThrottlingException');
    expect(classifyError(error)).toBe(ErrorClasses.transient);
  });

  it('answers 500 InternalFailure, which dynasync retries', async () => {
    const { proxy, client } = await through({ serverError: 1 });

    const error = await failure(put(client, 'internal'));

    expect(error.name).toBe('InternalFailure');
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(500);
    expect(classifyError(error)).toBe(ErrorClasses.transient);
    expect(proxy.counts.serverError).toBe(1);
  });

  it('drops the connection without forwarding: a reset, retried, nothing applied', async () => {
    const { proxy, client } = await through({ drop: 1 });

    const error = await failure(put(client, 'dropped'));

    // @smithy/node-http-handler names ECONNRESET / EPIPE / ETIMEDOUT errors "TimeoutError".
    expect(error.name).toBe('TimeoutError');
    expect(error.code).toBe('ECONNRESET');
    expect(classifyError(error)).toBe(ErrorClasses.transient);
    expect(proxy.counts.drop).toBe(1);
    const { Item } = await direct.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'dropped' } } }),
    );
    expect(Item).toBeUndefined();
  });

  it('drops the connection after forwarding: the client sees a reset, yet the write was applied', async () => {
    const { proxy, client } = await through({ dropAfterForward: 1 });

    const error = await failure(put(client, 'applied-then-reset'));

    expect(error.name).toBe('TimeoutError');
    expect(error.code).toBe('ECONNRESET');
    expect(classifyError(error)).toBe(ErrorClasses.transient);
    expect(proxy.counts.dropAfterForward).toBe(1);
    const { Item } = await direct.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: 'applied-then-reset' } },
        ConsistentRead: true,
      }),
    );
    expect(Item?.n).toEqual({ N: '1' });
  });

  it('delays slow requests and then forwards them', async () => {
    const { proxy, client } = await through({ slow: 1 });

    await put(client, 'slow');

    expect(proxy.counts.slow).toBe(1);
    expect(proxy.counts.forwarded).toBe(1);
  });

  it('faults only the operations the predicate selects', async () => {
    const { proxy, client } = await through(
      { throttle: 1 },
      (target) => target === 'DynamoDB_20120810.PutItem',
    );

    const read = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'none' } } }));
    const error = await failure(put(client, 'selected'));

    expect(read.Item).toBeUndefined();
    expect(error.name).toBe('ThrottlingException');
    expect(proxy.counts).toMatchObject({ requests: 2, eligible: 1, throttle: 1, forwarded: 1 });
    expect(proxy.counts.byOperation).toEqual({ PutItem: { throttle: 1 } });
    expect(proxy.counts.requestsByOperation).toEqual({ GetItem: 1, PutItem: 1 });
  });

  it('replays the same faults with the same seed', async () => {
    const rates: FaultRates = { throttle: 0.3, serverError: 0.2, slow: 0.1 };
    const run = async () => {
      const { proxy, client } = await through(rates);
      const outcomes: string[] = [];
      for (let i = 0; i < 20; i += 1)
        outcomes.push(
          await put(client, `replay-${i}`).then(
            () => 'ok',
            (error: Error) => error.name,
          ),
        );
      return {
        outcomes,
        counts: { ...proxy.counts, byOperation: undefined, requestsByOperation: undefined },
      };
    };

    const first = await run();
    const second = await run();

    expect(second).toEqual(first);
    expect(first.outcomes).toContain('ThrottlingException');
    expect(mulberry32(42)()).toBe(mulberry32(42)());
  });

  it('refuses rates outside 0..1 or adding up to more than 1', () => {
    expect(() => new FaultProxy({ target: 'http://127.0.0.1:1', rates: { throttle: 1.5 } })).toThrow(
      /0\.\.1/,
    );
    expect(
      () => new FaultProxy({ target: 'http://127.0.0.1:1', rates: { throttle: 0.6, drop: 0.6 } }),
    ).toThrow(/add up/);
  });
});
