import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import { ErrorCodes } from '../../../core/errors.js';
import type { Item } from '../../../core/types.js';
import { LocalKeyProvider } from '../../../keys/LocalKeyProvider.js';
import { createPipelines } from '../../../replicator/createPipelines.js';
import { runVerifyCommand, VerifyExitCodes } from '../../../tools/verify/command.js';
import { formatReport } from '../../../tools/verify/formatReport.js';
import type { VerifyReport } from '../../../tools/verify/types.js';
import { appItem, batchPut, regionPair, replicaOf, SOURCE, TARGET, versionAt } from './verifyHarness.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The map stage's module: it throws on items marked `bad`, as a user's transform might. */
const mapModule = {
  transform: (item: Item) => {
    if ('bad' in item) throw new Error('cannot map this one');
    return item;
  },
};

const KEY = randomBytes(32).toString('base64');

/**
 * A one-way pair whose target pipeline filters (only `user#` keys), masks (`pk` tokenized) and maps
 * (throws on `bad` items). The target holds exactly what replication wrote: every user but the bad
 * one (dead-lettered as `pipeline.mapFailed`) and nothing for the filtered item.
 */
const prepare = async (masks: boolean) => {
  const pair = await regionPair({ topology: 'one-way' });
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-verify-rejected-'));
  cleanups.push(
    () => pair.cleanup(),
    () => rm(dir, { recursive: true, force: true }),
  );
  await writeFile(join(dir, 'masking.key'), KEY);
  const document = {
    version: 1,
    name: 'verify-rejected',
    regions: pair.config.regions,
    topology: pair.config.topology,
    keys: { type: 'local', file: join(dir, 'masking.key') },
    pipelines: {
      [TARGET]: {
        key: ['pk'],
        stages: [
          { type: 'filter', id: 'users', keyPrefix: 'user#' },
          ...(masks ? [{ type: 'mask', id: 'pii', rules: [{ path: 'pk', action: 'tokenize' }] }] : []),
          { type: 'map', id: 'shape', module: './shape.js' },
        ],
      },
    },
  };
  const configFile = join(dir, 'dynasync.json');
  await writeFile(configFile, JSON.stringify(document));
  const config = parseConfig(document);
  const keys = new LocalKeyProvider({ source: { file: join(dir, 'masking.key') } });
  const loadModule = async () => mapModule;
  const pipeline = (await createPipelines(config, SOURCE, { keys, loadModule }))[TARGET]!;
  const version = versionAt(1_700_000_000_000);
  const source = [
    ...Array.from({ length: 5 }, (_, i) => appItem(`user#person${i}@example.com`, version)),
    appItem('user#bad@example.com', version, { bad: { BOOL: true } }),
    appItem('internal#config', version),
  ];
  await batchPut(pair.source, pair.sourceTable, source);
  const replicated = source.flatMap((item) => {
    try {
      return pipeline.apply(item, { sourceRegion: SOURCE, targetRegion: TARGET }).map(replicaOf);
    } catch {
      return []; // dead-lettered by the replicator
    }
  });
  expect(replicated).toHaveLength(5);
  await batchPut(pair.target, pair.targetTable, replicated);
  return { pair, dir, configFile, keys, loadModule };
};

describe('verify counts the source items the pipeline rejected (DynamoDB Local)', () => {
  it('is not IN SYNC while a live item is absent because the pipeline rejected it: counted by code, listed by hash on a masked peer, exit 1', async () => {
    // Prepare
    const { pair, dir, configFile, keys, loadModule } = await prepare(true);
    const output = join(dir, 'differences.jsonl');
    const printed: string[] = [];

    // Act
    const code = await runVerifyCommand(
      { config: configFile, from: SOURCE, to: TARGET, settle: 0, json: true, output, spillDir: dir },
      { print: (line) => printed.push(line), clients: pair.clients, keys, loadModule },
    );

    // Assess: no drift between the tables, but the rejected item makes the run fail.
    const report = JSON.parse(printed.join('\n')) as VerifyReport;
    expect(report.counts).toMatchObject({ missing: 0, extra: 0, different: 0 });
    expect(report.pipelineRejected).toEqual({ [ErrorCodes.pipeline.mapFailed]: 1 });
    expect(report.inSync).toBe(false);
    expect(code).toBe(VerifyExitCodes.drift);
    const lines = (await readFile(output, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ kind: 'pipelineRejected', code: ErrorCodes.pipeline.mapFailed });
    expect(line.keyHash).toMatch(/^[0-9a-f]{12}$/);
    expect(line.key).toBeUndefined();
    expect(lines[0]).not.toContain('example.com');
    expect((await stat(output)).mode & 0o777).toBe(0o600); // keys of differences: never world-readable
    expect(formatReport(report).join('\n')).toContain('NOT IN SYNC: 1 source item the pipeline rejected');
  });

  it('lists the clear source key of a rejected item for a peer that does not mask; filtered items are not rejections', async () => {
    const { pair, dir, configFile, keys, loadModule } = await prepare(false);
    const output = join(dir, 'differences.jsonl');
    const printed: string[] = [];

    const code = await runVerifyCommand(
      { config: configFile, from: SOURCE, to: TARGET, settle: 0, json: true, output, spillDir: dir },
      { print: (line) => printed.push(line), clients: pair.clients, keys, loadModule },
    );

    const report = JSON.parse(printed.join('\n')) as VerifyReport;
    expect(report.pipelineRejected).toEqual({ [ErrorCodes.pipeline.mapFailed]: 1 });
    expect(code).toBe(VerifyExitCodes.drift);
    const line = JSON.parse((await readFile(output, 'utf8')).trim()) as Record<string, unknown>;
    expect(line.key).toEqual({ pk: { S: 'user#bad@example.com' } });
  });
});
