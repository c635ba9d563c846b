import { EventEmitter } from 'node:events';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runPoller } from '../../../replicator/poller/runPoller.js';
import { assertConverges, type PollerEnv, pollerEnv, recordingLogger, SOURCE } from './pollerHarness.js';

const envs: PollerEnv[] = [];
afterEach(async () => {
  for (const env of envs.splice(0)) await env.cleanup();
});

const prepare = async () => {
  const env = await pollerEnv();
  envs.push(env);
  await env.source.send(new PutItemCommand({ TableName: env.sourceTable, Item: { pk: { S: 'a' } } }));
  return env;
};

describe('runPoller output', () => {
  it('on a terminal shows a live line with running totals, marks local stream-time lag coarse, and prints a summary on stop', async () => {
    // Prepare: the clock advances 1 s per reading, so the uptime is a function of the readings, not of speed.
    const env = await prepare();
    const written: string[] = [];
    let ms = Date.UTC(2026, 11, 1, 12);
    const signals = new EventEmitter();

    // Act
    const run = runPoller({
      config: env.config,
      region: SOURCE,
      logFormat: 'pretty',
      stdout: { write: (text: string) => written.push(text), isTTY: true },
      now: () => (ms += 1_000),
      statsIntervalMs: 0,
      statusFile: false,
      signals: { emitter: signals },
    });
    await assertConverges(env);
    await vi.waitFor(() => expect(written.join('')).toContain('applied 1 ·'), { timeout: 20_000 });
    signals.emit('SIGINT', 'SIGINT');
    await run;

    // Assess
    const text = written.join('');
    expect(text).toContain('\r\x1b[Keu-west-1 ▸ applied 1 · stale 0 · dead-lettered 0 · unfinished 0 · lag≈');
    expect(text).toMatch(
      /applied 1 · stale 0 · dead-lettered 0 · unfinished 0 · lag≈\S+ (\S+ )?\(coarse\) · up /,
    );
    expect(text).toContain('stopping: finishing the batches in flight');
    expect(text).toMatch(/dynasync run eu-west-1: stopped after \S+/);
    expect(text).toContain('  applied        1\n');
    expect(text).not.toContain('{"level"');
  });

  it('with --log-format json logs JSON lines and a replication summary with the totals', async () => {
    // Prepare
    const env = await prepare();
    const logger = recordingLogger();
    const written: string[] = [];
    const signals = new EventEmitter();

    // Act
    const run = runPoller({
      config: env.config,
      region: SOURCE,
      logger,
      logFormat: 'json',
      stdout: { write: (text: string) => written.push(text), isTTY: true },
      statsIntervalMs: 0,
      statusFile: false,
      signals: { emitter: signals },
    });
    await assertConverges(env);
    await vi.waitFor(() => expect(logger.messages('info')).toContain('batch processed'), { timeout: 20_000 });
    signals.emit('SIGINT', 'SIGINT');
    await run;

    // Assess
    expect(written).toStrictEqual([]);
    const summary = logger.lines.find((line) => line.message === 'replication summary');
    expect(summary?.extra[0]).toMatchObject({
      region: SOURCE,
      applied: 1,
      deadLettered: 0,
      streamLagCoarse: true,
    });
  });
});
