import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeVersion } from '../../../conflict/version.js';
import { ErrorCodes } from '../../../core/errors.js';
import { deadLetterPath } from '../../../replicator/deadLetter/createDeadLetterSink.js';
import { FileDeadLetterSink } from '../../../replicator/deadLetter/FileDeadLetterSink.js';
import type { DeadLetter } from '../../../replicator/deadLetter/types.js';
import { redrive } from '../../../replicator/redrive/redrive.js';
import { streamRecord } from '../../helpers/factories.js';
import { type PollerEnv, pollerEnv, REPLICA, SOURCE } from '../poller/pollerHarness.js';

const envs: PollerEnv[] = [];
afterEach(async () => {
  for (const env of envs.splice(0)) await env.cleanup();
});

const letter = (
  pk: string,
  extra: Record<string, { S: string }> = {},
  createdAt = 1_700_000_000,
): DeadLetter => ({
  id: randomUUID(),
  kind: 'streamRecord',
  record: streamRecord({
    newImage: { pk: { S: pk }, note: { S: 'from the dead-letter queue' }, ...extra },
    createdAt,
    region: SOURCE,
  }),
  sourceRegion: SOURCE,
  targetRegions: [REPLICA],
  error: {
    code: ErrorCodes.replicator.writeRejected,
    message: 'peer rejected the write (ValidationException)',
  },
  attempts: 3,
  firstFailureAt: '2026-11-20T10:00:00.000Z',
  lastFailureAt: '2026-11-20T10:00:01.000Z',
  configVersion: 'abc',
});

const replicaItem = async (env: PollerEnv, pk: string) =>
  (
    await env.replica.send(
      new GetItemCommand({ TableName: env.replicaTable, Key: { pk: { S: pk } }, ConsistentRead: true }),
    )
  ).Item;

describe('redrive from the file dead-letter sink, on DynamoDB Local', () => {
  it('replays what the target lacks, skips what it holds newer, keeps what fails again', async () => {
    // Prepare
    const env = await pollerEnv();
    envs.push(env);
    const path = deadLetterPath(env.config, SOURCE);
    const missing = letter('missing');
    const older = letter('older');
    const tooLarge = letter('big', { blob: { S: 'x'.repeat(410_000) } });
    await new FileDeadLetterSink(path).send([missing, older, tooLarge]);
    await writeFile(path, `${await readFile(path, 'utf8')}not a dead letter\n`);
    const newer = encodeVersion({ physicalMs: 1_800_000_000_000, logical: 0, origin: 'eu-west-1' });
    await env.replica.send(
      new PutItemCommand({
        TableName: env.replicaTable,
        Item: { pk: { S: 'older' }, note: { S: 'newer data' }, _ds_v: { S: newer } },
      }),
    );
    const lines: string[] = [];

    // Act
    const report = await redrive({
      config: env.config,
      region: SOURCE,
      clients: env.clients,
      print: (line) => lines.push(line),
    });

    // Assess
    expect(report).toMatchObject({ replayed: 1, stale: 1, failedAgain: 1 });
    expect((await replicaItem(env, 'missing'))?.note).toEqual({ S: 'from the dead-letter queue' });
    expect((await replicaItem(env, 'older'))?.note).toEqual({ S: 'newer data' });
    expect(await replicaItem(env, 'big')).toBeUndefined();
    const left = (await readFile(path, 'utf8')).trim().split('\n');
    expect(left).toHaveLength(2);
    expect(left).toContain('not a dead letter');
    const kept = JSON.parse(left.find((line) => line !== 'not a dead letter')!) as DeadLetter;
    expect(kept).toMatchObject({
      id: tooLarge.id,
      attempts: 4,
      error: { code: ErrorCodes.replicator.itemTooLarge },
      targetRegions: [REPLICA],
    });
    expect(kept.record).toEqual(tooLarge.record);
    expect(lines.at(-1)).toBe(
      'redrive: 1 replayed, 1 stale (targets already newer), 1 failed again; not replayable: 1 unreadable, 0 Lambda on-failure batches',
    );
    expect(report.unreadable).toBe(1);
  });

  it('only reports in a dry run: nothing is written and the file is untouched', async () => {
    const env = await pollerEnv();
    envs.push(env);
    const path = deadLetterPath(env.config, SOURCE);
    await new FileDeadLetterSink(path).send([
      letter('a'),
      letter('big', { blob: { S: 'x'.repeat(410_000) } }),
    ]);
    const before = await readFile(path, 'utf8');

    const report = await redrive({ config: env.config, region: SOURCE, clients: env.clients, dryRun: true });

    expect(report.entries.map((entry) => entry.outcome).sort()).toEqual(['wouldApply', 'wouldFail']);
    expect(await replicaItem(env, 'a')).toBeUndefined();
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('settles copies of the same letter (a batch dead-lettered again after a crash) together with it', async () => {
    const env = await pollerEnv();
    envs.push(env);
    const path = deadLetterPath(env.config, SOURCE);
    const once = letter('twice');
    await new FileDeadLetterSink(path).send([once]);
    await new FileDeadLetterSink(path).send([once]);

    const report = await redrive({ config: env.config, region: SOURCE, clients: env.clients });

    expect(report).toMatchObject({ replayed: 1, stale: 0, failedAgain: 0, duplicates: 1 });
    expect(report.entries).toHaveLength(1);
    expect((await readFile(path, 'utf8')).trim()).toBe('');
  });

  it('replays nothing and changes nothing when there are no dead letters', async () => {
    const env = await pollerEnv();
    envs.push(env);

    const report = await redrive({ config: env.config, region: SOURCE, clients: env.clients });

    expect(report).toMatchObject({ replayed: 0, stale: 0, failedAgain: 0, entries: [] });
  });
});
