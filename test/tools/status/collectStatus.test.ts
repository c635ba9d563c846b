import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/index.js';
import type { DeadLetter } from '../../../replicator/deadLetter/types.js';
import { writeStatusFile } from '../../../replicator/poller/StatusFile.js';
import { collectRegion, countFileDeadLetters, readIteratorAge } from '../../../tools/status/collectStatus.js';
import { streamRecord } from '../../helpers/factories.js';
import { iso, NOW, pollerStatus } from './fixtures.js';

const sqs = mockClient(SQSClient);
const cloudWatch = mockClient(CloudWatchClient);
const dirs: string[] = [];
beforeEach(() => {
  sqs.reset();
  cloudWatch.reset();
});
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const letter = (id: string): DeadLetter => ({
  id,
  kind: 'streamRecord',
  record: streamRecord({ newImage: { pk: { S: 'k' } } }),
  sourceRegion: 'eu-west-1',
  targetRegions: ['us-east-1'],
  error: { code: 'replicator.writeRejected', message: 'refused' },
  attempts: 1,
  firstFailureAt: iso(NOW),
  lastFailureAt: iso(NOW),
  configVersion: 'cfg',
});

const config = (dir: string, deadLetter: unknown = { type: 'file', dir: join(dir, 'dl') }) =>
  parseConfig({
    version: 1,
    name: 't',
    regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders' } },
    topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
    replicator: { checkpointDir: join(dir, 'cp') },
    deadLetter,
  });

const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-status-'));
  dirs.push(dir);
  return dir;
};

describe('countFileDeadLetters', () => {
  it('counts distinct letters (a redelivered batch repeats one) and lines that hold none', () => {
    const text = [letter('a'), letter('b'), letter('a')].map((l) => JSON.stringify(l)).join('\n');
    expect(countFileDeadLetters(`${text}\n{torn\n\n`)).toStrictEqual({ waiting: 2, unreadableLines: 1 });
  });
});

describe('readIteratorAge', () => {
  it('asks AWS/Lambda IteratorAge of the function and takes the newest datapoint', async () => {
    // Prepare
    cloudWatch.on(GetMetricStatisticsCommand).resolves({
      Datapoints: [
        { Timestamp: new Date(NOW - 120_000), Maximum: 9_000 },
        { Timestamp: new Date(NOW - 60_000), Maximum: 1_200 },
      ],
    });

    // Act
    const age = await readIteratorAge(new CloudWatchClient({ region: 'eu-west-1' }), 'dynasync-fn', NOW);

    // Assess
    expect(age).toBe(1_200);
    expect(cloudWatch.commandCalls(GetMetricStatisticsCommand)[0]?.args[0].input).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: 'dynasync-fn' }],
      EndTime: new Date(NOW),
      Statistics: ['Maximum'],
    });
  });

  it('is null without datapoints', async () => {
    cloudWatch.on(GetMetricStatisticsCommand).resolves({ Datapoints: [] });
    expect(await readIteratorAge(new CloudWatchClient({ region: 'eu-west-1' }), 'fn', NOW)).toBeNull();
  });
});

describe('collectRegion', () => {
  it('reads the status file, the checkpoint savedAt and the file dead letters', async () => {
    // Prepare
    const dir = await tempDir();
    const cfg = config(dir);
    await writeStatusFile(join(dir, 'cp', 'status-eu-west-1.json'), pollerStatus());
    await writeFile(
      join(dir, 'cp', 'checkpoint-eu-west-1.json'),
      JSON.stringify({ format: 1, savedAt: iso(NOW - 5), shards: {} }),
    );
    await mkdir(join(dir, 'dl'));
    await writeFile(join(dir, 'dl', 'dead-letter-eu-west-1.jsonl'), `${JSON.stringify(letter('x'))}\n`);

    // Act
    const read = await collectRegion({ config: cfg, region: 'eu-west-1', nowMs: NOW });

    // Assess
    expect(read).toMatchObject({
      status: pollerStatus(),
      checkpointSavedAt: iso(NOW - 5),
      deadLetters: { source: 'file', waiting: 1, unreadableLines: 0 },
    });
    expect(read.functionName).toBeUndefined();
  });

  it('reports a corrupt status file as a reading, not a crash', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'cp'));
    await writeFile(join(dir, 'cp', 'status-eu-west-1.json'), '[]');
    const read = await collectRegion({ config: config(dir), region: 'eu-west-1', nowMs: NOW });
    expect(read).toMatchObject({ status: undefined, statusError: { code: 'poller.statusCorrupt' } });
  });

  it('reads the SQS queue depth (ApproximateNumberOfMessages) and the iterator age with a function name', async () => {
    // Prepare
    const dir = await tempDir();
    const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq';
    const cfg = config(dir, { type: 'sqs', queues: { 'eu-west-1': queueUrl } });
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '4' } });
    cloudWatch
      .on(GetMetricStatisticsCommand)
      .resolves({ Datapoints: [{ Timestamp: new Date(NOW), Maximum: 50 }] });
    const sqsClient = new SQSClient({ region: 'eu-west-1' });
    const cwClient = new CloudWatchClient({ region: 'eu-west-1' });

    // Act
    const read = await collectRegion({
      config: cfg,
      region: 'eu-west-1',
      functionName: 'fn',
      nowMs: NOW,
      clients: { sqs: () => sqsClient, cloudWatch: () => cwClient },
    });

    // Assess
    expect(read).toMatchObject({
      status: undefined,
      deadLetters: { source: 'sqs', queueUrl, waiting: 4 },
      functionName: 'fn',
      iteratorAgeMs: 50,
    });
    expect(sqs.commandCalls(GetQueueAttributesCommand)[0]?.args[0].input).toStrictEqual({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages'],
    });
  });

  it('says why SQS dead letters are not counted without a queue URL', async () => {
    const dir = await tempDir();
    const read = await collectRegion({
      config: config(dir, { type: 'sqs' }),
      region: 'eu-west-1',
      nowMs: NOW,
    });
    expect(read.deadLetters).toMatchObject({ source: 'none' });
    expect(sqs.calls()).toHaveLength(0);
  });
});
