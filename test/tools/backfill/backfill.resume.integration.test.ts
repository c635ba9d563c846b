import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backfill } from '../../../tools/backfill/backfill.js';
import type { BackfillCheckpoint } from '../../../tools/backfill/CheckpointFile.js';
import { scanAll } from '../../../tools/tables.js';
import { killAllRuns, startCli } from '../../helpers/childRun.js';
import { batchPut } from '../verify/verifyHarness.js';
import { type BackfillPair, backfillPair, plainItems, SOURCE, TARGET } from './backfillHarness.js';

const pairs: BackfillPair[] = [];
afterEach(async () => {
  await killAllRuns();
  for (const pair of pairs.splice(0)) await pair.cleanup();
});

const ITEMS = 1_000;

const readCheckpoint = async (path: string): Promise<BackfillCheckpoint | undefined> => {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as BackfillCheckpoint;
  } catch {
    return undefined; // not written yet
  }
};

const itemsDone = (state: BackfillCheckpoint | undefined): number =>
  state?.progress.reduce((sum, segment) => sum + segment.items, 0) ?? 0;

describe('backfill --resume after SIGKILL (DynamoDB Local)', () => {
  it('continues after the last checkpointed page of each segment, never rewriting a finished page', async () => {
    // Prepare: 1,000 items; a child backfill slowed down by --max-wps so it can be killed midway.
    const pair = await backfillPair();
    pairs.push(pair);
    await batchPut(pair.source, pair.sourceTable, plainItems(ITEMS));
    const checkpoint = join(pair.dir, 'backfill.json');
    const child = startCli({
      args: [
        'backfill',
        '--config',
        pair.configFile,
        '--from',
        SOURCE,
        '--to',
        TARGET,
        '--segments',
        '2',
        '--page-size',
        '20',
        '--max-wps',
        '150',
        '--checkpoint',
        checkpoint,
        '--json',
      ],
    });
    for (let waited = 0; itemsDone(await readCheckpoint(checkpoint)) < 200; waited += 50) {
      if (!child.running) throw new Error(`the child ended early: ${child.stderr()}`);
      if (waited > 60_000) throw new Error('the child wrote nothing for 60 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Act 1: kill it by its pid, mid-run, without any chance to save.
    const exit = await child.kill('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    const atKill = (await readCheckpoint(checkpoint))!;
    const done = itemsDone(atKill);
    expect(atKill.complete).toBe(false);
    expect(done).toBeGreaterThanOrEqual(200);
    expect(done).toBeLessThan(ITEMS);
    const before = await scanAll(pair.target, pair.targetTable);
    expect(before.length).toBeGreaterThanOrEqual(done);
    // Act 2: resume in process.
    const report = await backfill({
      config: pair.config,
      from: SOURCE,
      to: TARGET,
      checkpoint,
      resume: true,
    });
    // Assess: only what the checkpoint did not hold was read and written again, and the target is complete.
    expect(report.resume).toMatchObject({ resumed: true, itemsBefore: done });
    expect(report.scanned).toBe(ITEMS - done);
    expect(report.written + report.stale).toBe(ITEMS - done);
    expect(report.complete).toBe(true);
    const after = await scanAll(pair.target, pair.targetTable);
    expect(after).toHaveLength(ITEMS);
    expect(JSON.parse(await readFile(checkpoint, 'utf8')).complete).toBe(true);
  });
});
