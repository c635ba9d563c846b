import { randomBytes, randomUUID } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import type { Config } from '../../../core/config/types.js';
import { ErrorCodes, isDynasyncError } from '../../../core/errors.js';
import { LocalKeyProvider } from '../../../keys/LocalKeyProvider.js';
import { createPipelines } from '../../../replicator/createPipelines.js';
import { deadLetterPath } from '../../../replicator/deadLetter/createDeadLetterSink.js';
import { FileDeadLetterSink } from '../../../replicator/deadLetter/FileDeadLetterSink.js';
import { letterProtector } from '../../../replicator/deadLetter/protectLetter.js';
import type { DeadLetter } from '../../../replicator/deadLetter/types.js';
import { redrive, redriveExitCodeOf } from '../../../replicator/redrive/redrive.js';
import { streamRecord } from '../../helpers/factories.js';
import { type PollerEnv, pollerEnv, REPLICA, SOURCE } from '../poller/pollerHarness.js';

const envs: PollerEnv[] = [];
afterEach(async () => {
  for (const env of envs.splice(0)) await env.cleanup();
});

const KEY = randomBytes(32).toString('base64');
const keys = () => new LocalKeyProvider({ source: { env: 'K' }, env: { K: KEY } });

const letter = (pk: string): DeadLetter => ({
  id: randomUUID(),
  kind: 'streamRecord',
  record: streamRecord({ newImage: { pk: { S: pk }, email: { S: `${pk}@example.com` } }, region: SOURCE }),
  sourceRegion: SOURCE,
  targetRegions: [REPLICA],
  error: { code: ErrorCodes.replicator.writeRejected, message: 'peer rejected the write' },
  attempts: 1,
  firstFailureAt: '2026-11-20T10:00:00.000Z',
  lastFailureAt: '2026-11-20T10:00:00.000Z',
  configVersion: 'abc',
});

/** What a Lambda event-source mapping writes to its OnFailure destination for a DynamoDB stream batch. */
const onFailureRecord = {
  requestContext: {
    requestId: '316aa6d0-8154-4c18-8d86-0c9e1b5a6f2f',
    functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:dynasync-replicator',
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 3,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: '2026-11-20T10:00:05.000Z',
  DDBStreamBatchInfo: {
    shardId: 'shardId-00000001600000000000-00000001',
    startSequenceNumber: '800000000000000000001',
    endSequenceNumber: '800000000000000000012',
    approximateArrivalOfFirstRecord: '2026-11-20T10:00:00Z',
    approximateArrivalOfLastRecord: '2026-11-20T10:00:01Z',
    batchSize: 12,
    streamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-11-01T00:00:00.000',
  },
};

const withMasking = (config: Config): Config => ({
  ...config,
  pipelines: parseConfig({
    version: 1,
    name: 't',
    regions: { [SOURCE]: { table: 'aaa' }, [REPLICA]: { table: 'bbb' } },
    topology: { type: 'one-way', from: SOURCE, to: [REPLICA] },
    pipelines: {
      [REPLICA]: {
        key: ['pk'],
        deadLetterRecord: 'encrypted',
        stages: [{ type: 'mask', id: 'pii', rules: [{ path: 'email', action: 'tokenize' }] }],
      },
    },
  }).pipelines,
});

describe('redrive counts what it cannot read (DynamoDB Local)', () => {
  it('reports corrupt lines, unknown shapes and Lambda on-failure batches, leaves them in the file, and exits 1', async () => {
    // Prepare: one good letter among a corrupt line, a JSON line of another shape, an on-failure record.
    const env = await pollerEnv();
    envs.push(env);
    const path = deadLetterPath(env.config, SOURCE);
    await new FileDeadLetterSink(path).send([letter('good')]);
    const foreign = ['{"kind":"streamRecord","id":', '{"hello":"world"}', JSON.stringify(onFailureRecord)];
    await appendFile(path, foreign.map((line) => `${line}\n`).join(''));
    const printed: string[] = [];

    // Act
    const report = await redrive({
      config: env.config,
      region: SOURCE,
      clients: env.clients,
      print: (line) => printed.push(line),
    });

    // Assess
    expect(report).toMatchObject({ replayed: 1, failedAgain: 0, unreadable: 2, onFailureBatches: 1 });
    expect(report.notReplayed.map((item) => [item.kind, item.where])).toEqual([
      ['unreadable', 'line 2'],
      ['unreadable', 'line 3'],
      ['onFailureBatch', 'line 4'],
    ]);
    expect(report.notReplayed[2]).toMatchObject({
      shardId: onFailureRecord.DDBStreamBatchInfo.shardId,
      startSequenceNumber: '800000000000000000001',
      endSequenceNumber: '800000000000000000012',
      batchSize: 12,
      condition: 'RetryAttemptsExhausted',
    });
    expect(redriveExitCodeOf(report)).toBe(1);
    const advice = printed.find((line) => line.startsWith('onFailure'));
    expect(advice).toContain('verify --from eu-west-1 --to <peer> --repair');
    expect((await readFile(path, 'utf8')).trim().split('\n')).toEqual(foreign);
  });

  it('fails a tampered sealed letter alone, named by its id, and replays the others', async () => {
    const env = await pollerEnv();
    envs.push(env);
    const config = withMasking(env.config);
    const protect = letterProtector(await createPipelines(config, SOURCE, { keys: keys() }));
    const good = protect(letter('ada'));
    const sealed = protect(letter('grace'));
    const body = sealed.sealedRecord!;
    const flipped = `${body.slice(0, -4)}${body.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const tampered: DeadLetter = { ...sealed, sealedRecord: flipped };
    const path = deadLetterPath(config, SOURCE);
    await new FileDeadLetterSink(path).send([tampered, good]);
    const printed: string[] = [];

    const report = await redrive({
      config,
      region: SOURCE,
      keys: keys(),
      print: (line) => printed.push(line),
    });

    expect([report.replayed, report.failedAgain]).toEqual([1, 1]);
    const failed = report.entries.find((entry) => entry.outcome === 'failedAgain');
    expect(failed).toMatchObject({ id: tampered.id, code: ErrorCodes.pipeline.decryptFailed });
    expect(printed.some((line) => line.includes(`letter ${tampered.id}`))).toBe(true);
    const kept = JSON.parse((await readFile(path, 'utf8')).trim()) as DeadLetter;
    expect(kept).toMatchObject({
      id: tampered.id,
      attempts: 2,
      error: { code: ErrorCodes.pipeline.decryptFailed },
    });
    expect(kept.error.message).toContain(tampered.id);
    const items = (await env.replica.send(new ScanCommand({ TableName: env.replicaTable }))).Items ?? [];
    expect(items).toHaveLength(1);
    expect(redriveExitCodeOf(report)).toBe(1);
  });

  it('names a region that is not in the config and a bogus --source with redrive.invalidOption', async () => {
    const env = await pollerEnv();
    envs.push(env);
    const codeOf = async (run: () => Promise<unknown>) => {
      try {
        await run();
        return 'no error';
      } catch (error) {
        return isDynasyncError(error) ? error.code : `not a DynasyncError: ${String(error)}`;
      }
    };
    expect(await codeOf(() => redrive({ config: env.config, region: 'mars-1', clients: env.clients }))).toBe(
      ErrorCodes.redrive.invalidOption,
    );
    expect(
      await codeOf(() =>
        redrive({ config: env.config, region: SOURCE, clients: env.clients, source: 'bogus' as 'file' }),
      ),
    ).toBe(ErrorCodes.redrive.invalidOption);
  });
});
