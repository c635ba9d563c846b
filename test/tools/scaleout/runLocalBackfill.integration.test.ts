import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { metadataNamesFor } from '../../../core/config/topology.js';
import type { Item } from '../../../core/types.js';
import { BackfillExitCodes, runBackfillCommand } from '../../../tools/backfill/command.js';
import { type BackfillReport, PathReasons, WritePaths } from '../../../tools/backfill/types.js';
import { compareTables } from '../../../tools/compareTables.js';
import type { TaskRunner } from '../../../tools/scaleout/protocol.js';
import { runLocalBackfill } from '../../../tools/scaleout/runLocalBackfill.js';
import { scanAll } from '../../../tools/tables.js';
import { type BackfillPair, backfillPair, plainItems, SOURCE, TARGET } from '../backfill/backfillHarness.js';
import { batchPut } from '../verify/verifyHarness.js';

/*
 * `dynasync backfill --workers N --job-id ID --job-dir DIR`: the backfill job on the local engine
 * (runLocalEngine with the backfill task runner) against DynamoDB Local gives the one-process
 * backfill's counts and target table, prints the same summary and exit code, and a re-run under the
 * same job id after an interrupted run does not scan the segments that finished.
 */
const names = metadataNamesFor('_ds_');
const pairs: BackfillPair[] = [];
afterEach(async () => {
  for (const pair of pairs.splice(0)) await pair.cleanup();
});
const pairOf = async () => {
  const pair = await backfillPair();
  pairs.push(pair);
  return pair;
};

/** Counts the Scan requests a client sends, by segment. */
const countScans = (client: DynamoDBClient): Map<number, number> => {
  const scans = new Map<number, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ScanCommand') {
        const segment = (args.input as { Segment?: number }).Segment ?? -1;
        scans.set(segment, (scans.get(segment) ?? 0) + 1);
      }
      return next(args);
    },
    { step: 'initialize', name: 'countScans' },
  );
  return scans;
};

/** User attributes of every item of a table, by key, without dynasync's metadata. */
const userItems = async (client: DynamoDBClient, table: string): Promise<Map<string, Item>> => {
  const items = await scanAll(client, table);
  return new Map(
    items.map((item) => [
      JSON.stringify(item.pk),
      Object.fromEntries(Object.entries(item).filter(([name]) => !name.startsWith('_ds_'))) as Item,
    ]),
  );
};

/** The counts of a report, which must not depend on the engine. */
const counted = (report: BackfillReport) => ({
  complete: report.complete,
  scanned: report.scanned,
  written: report.written,
  stale: report.stale,
  failed: report.failed,
  skipped: report.skipped,
  skipCodes: report.skipCodes,
});

/** Runs `dynasync backfill` with `--json` and returns its exit code, report and printed lines. */
const backfillJson = async (
  pair: BackfillPair,
  extra: Partial<Parameters<typeof runBackfillCommand>[0]>,
  wrapRunner?: (runner: TaskRunner) => TaskRunner,
) => {
  const lines: string[] = [];
  const code = await runBackfillCommand(
    { config: pair.configFile, from: SOURCE, to: TARGET, segments: 4, pageSize: 25, json: true, ...extra },
    {
      print: (text) => lines.push(text),
      clients: pair.clients,
      ...(wrapRunner === undefined ? {} : { wrapRunner }),
    },
  );
  return { code, report: JSON.parse(lines.join('\n')) as BackfillReport & { estimate?: unknown } };
};

describe('backfill --workers N on the local engine (DynamoDB Local)', () => {
  it('1 and 4 workers give exactly the one-process counts and seed an empty replica exactly', async () => {
    // Prepare: the same 260 items in three pairs.
    const [single, one, four] = [await pairOf(), await pairOf(), await pairOf()];
    for (const pair of [single, one, four]) await batchPut(pair.source, pair.sourceTable, plainItems(260));

    // Act
    const reference = await backfillJson(single, {});
    const byOne = await backfillJson(one, { workers: 1, jobId: 'one', jobDir: join(one.dir, 'jobs') });
    const byFour = await backfillJson(four, { workers: 4, jobId: 'four', jobDir: join(four.dir, 'jobs') });

    // Assess
    expect(reference.code).toBe(BackfillExitCodes.complete);
    expect(reference.report.path.chosen).toBe('conditional');
    for (const run of [byOne, byFour]) {
      expect(run.code).toBe(reference.code);
      expect(counted(run.report)).toEqual(counted(reference.report));
      expect(run.report.path).toEqual({ chosen: WritePaths.conditional, reason: PathReasons.segmentTasks });
      expect(run.report.estimate).toEqual(reference.report.estimate);
    }
    expect(counted(reference.report)).toMatchObject({ scanned: 260, written: 260, stale: 0, skipped: 0 });
    for (const pair of [one, four]) {
      expect(await userItems(pair.target, pair.targetTable)).toEqual(
        await userItems(pair.source, pair.sourceTable),
      );
      const comparison = await compareTables(
        { client: single.target, table: single.targetTable },
        { client: pair.target, table: pair.targetTable },
        ['pk'],
        names,
      );
      expect(comparison.differences).toEqual([]);
      expect(comparison.live).toEqual([260, 260]);
    }
  });

  it('prints the units estimate, the job line and the summary table, as the one-process run prints its own', async () => {
    const pair = await pairOf();
    await batchPut(pair.source, pair.sourceTable, plainItems(40));
    const lines: string[] = [];
    const code = await runBackfillCommand(
      { config: pair.configFile, from: SOURCE, to: TARGET, workers: 2, jobDir: join(pair.dir, 'jobs') },
      { print: (text) => lines.push(text), clients: pair.clients },
    );
    expect(code).toBe(BackfillExitCodes.complete);
    expect(lines[0]).toMatch(/^backfill will consume about [\d.]+ read units and \d+ write units/);
    expect(lines[1]).toMatch(/^backfill: job b-\S+ \(4 segments\) in .*jobs; resume with --job-id b-/);
    expect(lines.join('\n')).toContain('COMPLETE');
    expect(lines.join('\n')).not.toContain('item 7'); // never values
  });

  it('a re-run under the same job id after an interrupted run does not scan the finished segments', async () => {
    // Prepare: a run whose runner fails on its third segment task (one worker: segments 0 and 1 finish).
    const pair = await pairOf();
    await batchPut(pair.source, pair.sourceTable, plainItems(200));
    const scans = countScans(pair.source);
    const jobDir = join(pair.dir, 'jobs');
    let started = 0;
    const abortAfterTwo =
      (runner: TaskRunner): TaskRunner =>
      async (task, context) => {
        if (task.kind === 'scanSegment') {
          started += 1;
          if (started > 2) throw new Error('interrupted by the test');
        }
        return runner(task, context);
      };
    await expect(backfillJson(pair, { workers: 1, jobId: 'again', jobDir }, abortAfterTwo)).rejects.toThrow(
      'interrupted by the test',
    );
    const firstRun = new Map(scans);
    scans.clear();

    // Act
    const resumed = await backfillJson(pair, { workers: 4, jobId: 'again', jobDir });
    const secondRun = new Map(scans);
    scans.clear();
    const again = await backfillJson(pair, { workers: 4, jobId: 'again', jobDir });

    // Assess
    expect(firstRun.get(0)).toBeGreaterThan(0);
    expect(firstRun.get(1)).toBeGreaterThan(0);
    expect(firstRun.get(2)).toBeUndefined();
    expect(secondRun.get(0)).toBeUndefined();
    expect(secondRun.get(1)).toBeUndefined();
    expect(secondRun.get(2)).toBeGreaterThan(0);
    expect(secondRun.get(3)).toBeGreaterThan(0);
    expect(scans.size).toBe(0);
    expect(resumed.code).toBe(BackfillExitCodes.complete);
    expect(counted(resumed.report)).toMatchObject({ complete: true, scanned: 200, written: 200 });
    expect(counted(again.report)).toEqual(counted(resumed.report));
    expect(await userItems(pair.target, pair.targetTable)).toEqual(
      await userItems(pair.source, pair.sourceTable),
    );
  });

  it('runLocalBackfill refuses a job id of another command', async () => {
    const pair = await pairOf();
    const jobDir = join(pair.dir, 'jobs');
    await runLocalBackfill({
      config: pair.config,
      from: SOURCE,
      to: TARGET,
      clients: pair.clients,
      jobId: 'x',
      jobDir,
    });
    const { FileJobStore } = await import('../../../tools/scaleout/FileJobStore.js');
    const store = new FileJobStore(jobDir);
    const spec = JSON.parse(new TextDecoder().decode(await store.get('jobs/x/job.json')));
    await store.put('jobs/y/job.json', JSON.stringify({ ...spec, jobId: 'y', command: 'verify' }));
    await expect(
      runLocalBackfill({
        config: pair.config,
        from: SOURCE,
        to: TARGET,
        clients: pair.clients,
        jobId: 'y',
        jobDir,
      }),
    ).rejects.toMatchObject({ code: 'backfill.jobMismatch' });
  });
});
