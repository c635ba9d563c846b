import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import { isDynasyncError } from '../../../core/errors.js';
import { LocalKeyProvider } from '../../../keys/LocalKeyProvider.js';
import { decryptText } from '../../../pipeline/maskingCrypto.js';
import { createPipelines } from '../../../replicator/createPipelines.js';
import { backfill } from '../../../tools/backfill/backfill.js';
import type { BackfillCheckpoint } from '../../../tools/backfill/CheckpointFile.js';
import { BackfillExitCodes, runBackfillCommand } from '../../../tools/backfill/command.js';
import { BackfillErrorCodes } from '../../../tools/backfill/errors.js';
import { scanAll } from '../../../tools/tables.js';
import { batchPut } from '../verify/verifyHarness.js';
import { type BackfillPair, backfillPair, SOURCE, TARGET } from './backfillHarness.js';

const pairs: BackfillPair[] = [];
afterEach(async () => {
  for (const pair of pairs.splice(0)) await pair.cleanup();
});

const KEY = randomBytes(32).toString('base64');
const ITEMS = 30;

/** A pair whose target pipeline tokenizes `pk` (an email), and 30 people in the source. */
const maskedPair = async () => {
  const pair = await backfillPair();
  pairs.push(pair);
  const keyFile = join(pair.dir, 'masking.key');
  await writeFile(keyFile, KEY);
  const document = {
    ...pair.configInput,
    keys: { type: 'local', file: keyFile },
    pipelines: {
      [TARGET]: {
        key: ['pk'],
        stages: [{ type: 'mask', id: 'pii', rules: [{ path: 'pk', action: 'tokenize' }] }],
      },
    },
  };
  await writeFile(pair.configFile, JSON.stringify(document));
  const config = parseConfig(document);
  await batchPut(
    pair.source,
    pair.sourceTable,
    Array.from({ length: ITEMS }, (_, i) => ({ pk: { S: `person${i}@example.com` }, n: { N: `${i}` } })),
  );
  const keys = new LocalKeyProvider({ source: { file: keyFile } });
  const pipeline = (await createPipelines(config, SOURCE, { keys }))[TARGET]!;
  return { pair, config, keys, pipeline };
};

describe('backfill checkpoints of a masking peer (DynamoDB Local)', () => {
  it('keep the resume keys sealed under the masking key, in a 0600 file, and resume from them', async () => {
    // Prepare: a run interrupted after its first pages, with the keys sealed as the command seals them.
    const { pair, config, keys, pipeline } = await maskedPair();
    const checkpoint = join(pair.dir, 'cp', 'masked.json');
    const abort = new AbortController();
    const interrupted = await backfill({
      config,
      from: SOURCE,
      to: TARGET,
      clients: pair.clients,
      segments: 1,
      pageSize: 5,
      concurrency: 1,
      checkpoint,
      transform: (item) => pipeline.apply(item, { sourceRegion: SOURCE, targetRegion: TARGET }),
      keySealer: {
        seal: (text) => pipeline.seal(text),
        open: async (sealed) => decryptText(sealed, await keys.resolve()),
      },
      onProgress: (progress) => {
        if (progress.scanned >= 10) abort.abort();
      },
      signal: abort.signal,
    }).catch((error: unknown) => error);
    expect(isDynasyncError(interrupted) && interrupted.code).toBe(BackfillErrorCodes.aborted);

    // Assess the file: no clear key, a sealed one, mode 0600.
    const text = await readFile(checkpoint, 'utf8');
    expect(text).not.toContain('example.com');
    const state = JSON.parse(text) as BackfillCheckpoint;
    expect(state.progress[0]).toMatchObject({ done: false, lastKey: null });
    expect(state.progress[0]!.sealedKey).toMatch(/^dsenc1\./);
    expect(JSON.parse(decryptText(state.progress[0]!.sealedKey!, await keys.resolve()))).toHaveProperty('pk');
    expect((await stat(checkpoint)).mode & 0o777).toBe(0o600);

    // Act: resume through the command, which opens the sealed key with the config's key.
    const out: string[] = [];
    const code = await runBackfillCommand(
      {
        config: pair.configFile,
        from: SOURCE,
        to: TARGET,
        resume: true,
        checkpoint,
        json: true,
        pageSize: 5,
      },
      { print: (line) => out.push(line), clients: pair.clients },
    );

    // Assess: the run resumed after the sealed key and finished; every person is in the target, masked.
    expect(code).toBe(BackfillExitCodes.complete);
    const report = JSON.parse(out.join('\n')) as { resume: { resumed: boolean; itemsBefore: number } };
    expect(report.resume.resumed).toBe(true);
    expect(report.resume.itemsBefore).toBeGreaterThanOrEqual(10);
    const target = await scanAll(pair.target, pair.targetTable);
    expect(target).toHaveLength(ITEMS);
    expect(JSON.stringify(target)).not.toContain('example.com');
    expect(await readFile(checkpoint, 'utf8')).not.toContain('example.com');
  });
});
