import { EventEmitter } from 'node:events';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { runPoller } from '../../../replicator/poller/runPoller.js';
import {
  assertConverges,
  type PollerEnv,
  pollerEnv,
  REPLICA,
  recordingLogger,
  SOURCE,
} from './pollerHarness.js';

const envs: PollerEnv[] = [];
afterEach(async () => {
  for (const env of envs.splice(0)) await env.cleanup();
});

describe('runPoller', () => {
  it('checks the tables, replicates until SIGINT, then resolves', async () => {
    // Prepare
    const env = await pollerEnv();
    envs.push(env);
    await env.source.send(
      new PutItemCommand({ TableName: env.sourceTable, Item: { pk: { S: 'a' }, n: { N: '1.5' } } }),
    );
    const signals = new EventEmitter();
    const logger = recordingLogger();

    // Act
    const run = runPoller({
      config: env.config,
      region: SOURCE,
      logger,
      statsIntervalMs: 0,
      signals: { emitter: signals },
    });
    await assertConverges(env);
    signals.emit('SIGINT', 'SIGINT');

    // Assess
    await expect(run).resolves.toBeUndefined();
    expect(logger.messages('info')).toContain('stream poller stopped');
  });

  it('refuses a one-way replica region before touching any table', async () => {
    // Prepare
    const env = await pollerEnv({ createTables: false });
    envs.push(env);

    // Act
    const run = runPoller({
      config: env.config,
      region: REPLICA,
      logger: recordingLogger(),
      signals: { emitter: new EventEmitter() },
    });

    // Assess
    await expect(run).rejects.toMatchObject({ code: 'config.invalidField', payload: { path: 'topology' } });
  });

  it('fails with config.tableMismatch when a table is missing', async () => {
    // Prepare
    const env = await pollerEnv({ createTables: false });
    envs.push(env);

    // Act
    const run = runPoller({
      config: env.config,
      region: SOURCE,
      logger: recordingLogger(),
      signals: { emitter: new EventEmitter() },
    });

    // Assess
    await expect(run).rejects.toMatchObject({ code: 'config.tableMismatch' });
  });
});
