import { EventEmitter } from 'node:events';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import { runPoller } from '../../../replicator/poller/runPoller.js';
import { recordingLogger } from './pollerHarness.js';

const dynamo = mockClient(DynamoDBClient);
afterAll(() => dynamo.restore());

describe('runPoller start-up', () => {
  it('refuses a missing conflict.module before it touches any table, naming the field', async () => {
    // Prepare
    const config = parseConfig({
      version: 1,
      name: 'orders',
      regions: {
        'eu-west-1': { table: 'orders', endpoint: 'http://127.0.0.1:9' },
        'us-east-1': { table: 'orders-us', endpoint: 'http://127.0.0.1:9' },
      },
      topology: { type: 'active-active' },
      conflict: { strategy: 'merge', module: '/nonexistent/dynasync/merge.mjs' },
    });

    // Act
    const run = runPoller({
      config,
      region: 'eu-west-1',
      logger: recordingLogger(),
      signals: { emitter: new EventEmitter() },
    });

    // Assess: the start stops at the module; no table was described or written.
    await expect(run).rejects.toMatchObject({
      code: 'conflict.invalidMergeModule',
      payload: { path: 'conflict.module', module: '/nonexistent/dynasync/merge.mjs' },
    });
    expect(dynamo.calls()).toHaveLength(0);
  });
});
