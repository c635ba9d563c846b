import { randomBytes, randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import type { Config } from '../../../core/config/types.js';
import { ErrorCodes } from '../../../core/errors.js';
import { LocalKeyProvider } from '../../../keys/LocalKeyProvider.js';
import { createPipelines } from '../../../replicator/createPipelines.js';
import { deadLetterPath } from '../../../replicator/deadLetter/createDeadLetterSink.js';
import { FileDeadLetterSink } from '../../../replicator/deadLetter/FileDeadLetterSink.js';
import { letterProtector } from '../../../replicator/deadLetter/protectLetter.js';
import type { DeadLetter } from '../../../replicator/deadLetter/types.js';
import { redrive } from '../../../replicator/redrive/redrive.js';
import { streamRecord } from '../../helpers/factories.js';
import { type PollerEnv, pollerEnv, REPLICA, SOURCE } from '../poller/pollerHarness.js';

const envs: PollerEnv[] = [];
afterEach(async () => {
  for (const env of envs.splice(0)) await env.cleanup();
});

const KEY = randomBytes(32).toString('base64');
const keys = () => new LocalKeyProvider({ source: { env: 'K' }, env: { K: KEY } });

const withPipeline = (config: Config, deadLetterRecord: 'omit' | 'encrypted'): Config => ({
  ...config,
  pipelines: parseConfig({
    version: 1,
    name: 't',
    regions: { [SOURCE]: { table: 'aaa' }, [REPLICA]: { table: 'bbb' } },
    topology: { type: 'one-way', from: SOURCE, to: [REPLICA] },
    pipelines: {
      [REPLICA]: {
        key: ['pk'],
        deadLetterRecord,
        stages: [
          {
            type: 'mask',
            id: 'pii',
            rules: [
              { path: 'pk', action: 'tokenize' },
              { path: 'email', action: 'tokenize' },
            ],
          },
        ],
      },
    },
  }).pipelines,
});

const letter = (email: string): DeadLetter => ({
  id: randomUUID(),
  kind: 'streamRecord',
  record: streamRecord({ newImage: { pk: { S: `person#${email}` }, email: { S: email } }, region: SOURCE }),
  sourceRegion: SOURCE,
  targetRegions: [REPLICA],
  error: { code: ErrorCodes.replicator.writeRejected, message: 'peer rejected the write' },
  attempts: 1,
  firstFailureAt: '2026-11-20T10:00:00.000Z',
  lastFailureAt: '2026-11-20T10:00:00.000Z',
  configVersion: 'abc',
});

describe('redrive through a masking pipeline (DynamoDB Local)', () => {
  it('opens sealed records and replays them masked; a letter without its record fails again, clearly', async () => {
    // Prepare: one letter sealed (deadLetterRecord "encrypted"), one with its record omitted.
    const env = await pollerEnv();
    envs.push(env);
    const sealedConfig = withPipeline(env.config, 'encrypted');
    const omitConfig = withPipeline(env.config, 'omit');
    const sealed = letterProtector(await createPipelines(sealedConfig, SOURCE, { keys: keys() }))(
      letter('ada@example.com'),
    );
    const omitted = letterProtector(await createPipelines(omitConfig, SOURCE, { keys: keys() }))(
      letter('grace@example.com'),
    );
    expect(JSON.stringify([sealed, omitted])).not.toContain('@example.com');
    await new FileDeadLetterSink(deadLetterPath(env.config, SOURCE)).send([sealed, omitted]);

    // Act
    const report = await redrive({ config: sealedConfig, region: SOURCE, keys: keys() });

    // Assess
    expect([report.replayed, report.failedAgain]).toEqual([1, 1]);
    expect(report.entries.find((entry) => entry.outcome === 'failedAgain')?.code).toBe(
      'replicator.deadLetterFailed',
    );
    const items = (await env.replica.send(new ScanCommand({ TableName: env.replicaTable }))).Items ?? [];
    expect(items).toHaveLength(1);
    expect(items[0]!.email!.S).toMatch(/^tk1_/);
    expect(JSON.stringify(items)).not.toContain('@example.com');
  });
});
