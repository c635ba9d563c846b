import { EventEmitter } from 'node:events';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deadLetterPath } from '../../../replicator/deadLetter/createDeadLetterSink.js';
import { runPoller } from '../../../replicator/poller/runPoller.js';
import { readStatusFile, statusPath } from '../../../replicator/poller/StatusFile.js';
import type { StatusReport } from '../../../tools/status/types.js';
import { killAllRuns, startCli } from '../../helpers/childRun.js';
import {
  assertConverges,
  type PollerEnv,
  pollerEnv,
  REPLICA,
  recordingLogger,
  SOURCE,
} from '../../replicator/poller/pollerHarness.js';

const envs: PollerEnv[] = [];
afterEach(async () => {
  await killAllRuns();
  for (const env of envs.splice(0)) await env.cleanup();
});

/** `dynasync status --json` as a child: its exit code and report. */
const statusCli = async (configFile: string): Promise<{ code: number | null; report: StatusReport }> => {
  const child = startCli({ args: ['status', '--config', configFile, '--json', '--max-lag', '3600'] });
  const exit = await child.exited;
  return { code: exit.code, report: JSON.parse(child.stdout()) as StatusReport };
};

describe('dynasync status against a running poller (DynamoDB Local)', () => {
  it('reports the applied totals the poller wrote, exits 0, then exits 1 once a dead letter waits', async () => {
    // Prepare: three items in the source, a poller writing its status every 100 ms.
    const env = await pollerEnv();
    envs.push(env);
    const configFile = join(env.dir, 'dynasync.json');
    await writeFile(
      configFile,
      JSON.stringify({
        version: 1,
        name: 't',
        regions: {
          [SOURCE]: { table: env.sourceTable, endpoint: env.config.regions[SOURCE]!.endpoint },
          [REPLICA]: { table: env.replicaTable, endpoint: env.config.regions[REPLICA]!.endpoint },
        },
        topology: { type: 'one-way', from: SOURCE, to: [REPLICA] },
        replicator: { checkpointDir: env.config.replicator.checkpointDir },
        deadLetter: env.config.deadLetter,
      }),
    );
    for (const pk of ['a', 'b', 'c']) {
      await env.source.send(new PutItemCommand({ TableName: env.sourceTable, Item: { pk: { S: pk } } }));
    }
    const signals = new EventEmitter();
    const run = runPoller({
      config: env.config,
      region: SOURCE,
      logger: recordingLogger(),
      statsIntervalMs: 100,
      signals: { emitter: signals },
    });
    const path = statusPath(env.config, SOURCE);

    try {
      // Act: wait (counted, not timed) until the status file says what the replica shows.
      await assertConverges(env);
      await vi.waitFor(
        async () => {
          expect((await readStatusFile(path))?.totals.applied).toBe(3);
        },
        { timeout: 20_000, interval: 50 },
      );
      const healthy = await statusCli(configFile);
      await mkdir(env.config.deadLetter.type === 'file' ? env.config.deadLetter.dir : env.dir, {
        recursive: true,
      });
      await writeFile(
        deadLetterPath(env.config, SOURCE),
        `${JSON.stringify({ id: 'letter-1', kind: 'streamRecord', record: {}, sourceRegion: SOURCE })}\n`,
      );
      const withLetter = await statusCli(configFile);

      // Assess
      expect(healthy.code).toBe(0);
      expect(healthy.report.regions).toHaveLength(1);
      expect(healthy.report.regions[0]).toMatchObject({
        region: SOURCE,
        healthy: true,
        mode: 'run',
        state: 'running',
        totals: { applied: 3, deadLettered: 0 },
        peers: [{ peer: REPLICA, applied: 3 }],
        deadLetters: { source: 'file', waiting: 0 },
        // Unstamped one-way writes: the lag comes from stream times, which DynamoDB Local rounds.
        streamLagCoarse: true,
      });
      expect(healthy.report.regions[0]?.checkpointAgeMs).toBeGreaterThanOrEqual(0);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(withLetter.code).toBe(1);
      expect(withLetter.report.regions[0]).toMatchObject({
        healthy: false,
        deadLetters: { waiting: 1 },
        problems: [{ code: 'status.deadLettersWaiting' }],
      });
    } finally {
      signals.emit('SIGINT', 'SIGINT');
      await run;
    }
    // On stop the poller writes its final status.
    expect(await readStatusFile(path)).toMatchObject({ state: 'stopped', totals: { applied: 3 } });
  });
});
