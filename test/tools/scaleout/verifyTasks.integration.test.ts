import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../../core/types.js';
import { FileJobStore } from '../../../tools/scaleout/FileJobStore.js';
import { jobSpecKey, planJob } from '../../../tools/scaleout/planJob.js';
import type { JobSpec, TaskRunner } from '../../../tools/scaleout/protocol.js';
import { runLocalEngine } from '../../../tools/scaleout/runLocalEngine.js';
import {
  createVerifyTaskRunner,
  readVerifyResult,
  type VerifyJobOptions,
} from '../../../tools/scaleout/verifyTasks.js';
import type { Difference, SourceTransform, VerifyReport } from '../../../tools/verify/types.js';
import { verify } from '../../../tools/verify/verify.js';
import { checkAsyncProperty } from '../../helpers/laws.js';
import { build, byKey, rows, scenario } from '../verify/injectedDrift.js';
import {
  appItem,
  batchPut,
  type RegionPair,
  regionPair,
  replicaOf,
  SOURCE,
  TARGET,
  versionAt,
} from '../verify/verifyHarness.js';

const keyHasher = (keyId: string) => `h:${keyId.length}`;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dynasync-scaleout-test-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface RunOptions {
  readonly segments: number;
  readonly workers: number;
  readonly jobId?: string;
  readonly sample?: number;
  readonly sampleSeed?: number;
  readonly transform?: SourceTransform;
  readonly sourceKeyOf?: (key: Item) => Item | undefined;
  readonly options?: VerifyJobOptions;
  readonly clock?: () => number;
  readonly invocationMs?: number;
  /** Wraps the runner (to interrupt or count tasks). */
  readonly wrap?: (runner: TaskRunner) => TaskRunner;
  readonly clients?: Record<string, DynamoDBClient>;
}

/** Plans a job, stores its spec and runs it with the local engine; returns its report and differences. */
const runJob = async (pair: RegionPair, run: RunOptions) => {
  const store = new FileJobStore(join(root, 'store'));
  const spec: JobSpec = planJob({
    command: 'verify',
    configVersion: 'test',
    from: SOURCE,
    to: TARGET,
    totalSegments: run.segments,
    shuffle: run.transform !== undefined,
    partitions: 8,
    concurrency: run.workers,
    ...(run.jobId === undefined ? {} : { jobId: run.jobId }),
    ...(run.sample === undefined ? {} : { sample: run.sample, sampleSeed: run.sampleSeed ?? 7 }),
    options: { settleSeconds: 0, pageSize: 7, ...run.options },
  });
  if ((await store.get(jobSpecKey(spec.jobId))) === undefined)
    await store.put(jobSpecKey(spec.jobId), JSON.stringify(spec));
  const runner = createVerifyTaskRunner({
    store,
    config: pair.config,
    clients: run.clients ?? pair.clients,
    keyHasher,
    workDir: root,
    ...(run.transform === undefined ? {} : { transform: run.transform }),
    ...(run.sourceKeyOf === undefined ? {} : { sourceKeyOf: run.sourceKeyOf }),
    ...(run.clock === undefined ? {} : { clock: run.clock }),
  });
  let invocations = 0;
  const counted: TaskRunner = (task, context) => {
    if (task.kind === 'scanSegment') invocations += 1;
    return runner(task, context);
  };
  await runLocalEngine(spec, run.wrap?.(counted) ?? counted, {
    workers: run.workers,
    ...(run.clock === undefined ? {} : { clock: run.clock }),
    ...(run.invocationMs === undefined ? {} : { invocationMs: run.invocationMs }),
  });
  const result = await readVerifyResult(store, spec.jobId);
  const differences: Difference[] = [];
  for await (const difference of result.differences) differences.push(difference);
  return { spec, report: result.report, differences, invocations };
};

/** A report without what depends on timing or on the engine. */
const comparable = (report: VerifyReport) => {
  const { durationMs: _d, itemsPerSecond: _i, method: _m, sample: _s, scaleout: _o, ...rest } = report;
  return rest;
};

const sortedRows = (differences: readonly Difference[]) =>
  rows(differences).sort((a, b) => byKey(a, b) || a.kind.localeCompare(b.kind));

/** Counts Scan requests per segment (and in all) sent through a client. */
const countScans = (client: DynamoDBClient) => {
  const bySegment = new Map<number, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ScanCommand') {
        const segment = (args.input as { Segment?: number }).Segment ?? -1;
        bySegment.set(segment, (bySegment.get(segment) ?? 0) + 1);
      }
      return next(args);
    },
    { step: 'initialize', name: 'countScans' },
  );
  return bySegment;
};

describe('verify through the scale-out task engine (DynamoDB Local)', () => {
  it('reports exactly the injected drift with 4 workers, and the same as 1 worker and the local verify (property)', async () => {
    await checkAsyncProperty(
      fc.asyncProperty(scenario(), async (input) => {
        const pair = await regionPair();
        try {
          // Prepare
          const { source, target, expected } = build(input);
          await Promise.all([
            batchPut(pair.source, pair.sourceTable, source),
            batchPut(pair.target, pair.targetTable, target),
          ]);

          // Act
          const four = await runJob(pair, { segments: input.segments, workers: 4 });
          const one = await runJob(pair, { segments: input.segments, workers: 1 });
          const local: Difference[] = [];
          const localReport = await verify({
            config: pair.config,
            from: SOURCE,
            to: TARGET,
            clients: pair.clients,
            segments: input.segments,
            settleSeconds: 0,
            partitions: 8,
            keyHasher,
            onDifference: (difference) => {
              local.push(difference);
            },
          });

          // Assess
          expect(sortedRows(four.differences)).toEqual([...expected].sort(byKey));
          expect(four.report.inSync).toBe(expected.length === 0);
          expect(comparable(four.report)).toEqual(comparable(one.report));
          expect(sortedRows(four.differences)).toEqual(sortedRows(one.differences));
          expect(comparable(four.report)).toEqual({
            ...comparable(localReport),
            consumedCapacity: four.report.consumedCapacity,
          });
          expect(four.report.scaleout).toMatchObject({
            segmentsScanned: input.segments,
            sample: 1,
            shuffled: false,
          });
        } finally {
          await pair.cleanup();
        }
      }),
      6,
    );
  }, 240_000);

  it('gives the same result when a tiny deadline (injected clock) splits every segment across invocations', async () => {
    const pair = await regionPair();
    try {
      // Prepare: 120 items, 6 of them drifted; pages of 7 items.
      const { source, target, expected } = build({
        count: 120,
        payloads: [],
        drifts: [0, 13, 27, 55, 81, 119].map((index, n) => ({
          index,
          drift: (['deleteInTarget', 'modifyInTarget', 'addToTarget'] as const)[n % 3]!,
          variant: 0,
        })),
        segments: 3,
      });
      await Promise.all([
        batchPut(pair.source, pair.sourceTable, source),
        batchPut(pair.target, pair.targetTable, target),
      ]);
      let ticks = 0;
      const clock = () => {
        ticks += 1;
        return ticks;
      };

      // Act: each invocation's deadline passes after its first page (every clock read is one tick later).
      const split = await runJob(pair, { segments: 3, workers: 2, clock, invocationMs: 1 });
      const whole = await runJob(pair, { segments: 3, workers: 2 });

      // Assess
      expect(split.invocations).toBeGreaterThan(3 * 4);
      expect(whole.invocations).toBe(3);
      expect(sortedRows(split.differences)).toEqual([...expected].sort(byKey));
      expect(comparable(split.report)).toEqual(comparable(whole.report));
    } finally {
      await pair.cleanup();
    }
  });

  it('resumes an interrupted job under its id without scanning its finished segments again', async () => {
    const pair = await regionPair();
    try {
      // Prepare
      const { source, target, expected } = build({
        count: 80,
        payloads: [],
        drifts: [
          { index: 5, drift: 'deleteInTarget', variant: 0 },
          { index: 60, drift: 'modifyInTarget', variant: 1 },
        ],
        segments: 4,
      });
      await Promise.all([
        batchPut(pair.source, pair.sourceTable, source),
        batchPut(pair.target, pair.targetTable, target),
      ]);
      const scans = { source: countScans(pair.source), target: countScans(pair.target) };
      let segmentTasks = 0;
      const interruptAfterTwo =
        (runner: TaskRunner): TaskRunner =>
        async (task, context) => {
          if (task.kind === 'scanSegment') {
            segmentTasks += 1;
            if (segmentTasks > 2) throw new Error('worker stopped (test)');
          }
          return runner(task, context);
        };

      // Act
      await expect(
        runJob(pair, { segments: 4, workers: 1, jobId: 'resume-1', wrap: interruptAfterTwo }),
      ).rejects.toThrow('worker stopped (test)');
      const first = new Map(scans.source);
      scans.source.clear();
      scans.target.clear();
      const resumed = await runJob(pair, { segments: 4, workers: 1, jobId: 'resume-1' });

      // Assess: segments 0 and 1 were scanned by the first run only.
      expect([...first.keys()].sort()).toEqual([0, 1]);
      expect([...scans.source.keys()].sort()).toEqual([2, 3]);
      expect([...scans.target.keys()].sort()).toEqual([2, 3]);
      expect(sortedRows(resumed.differences)).toEqual([...expected].sort(byKey));
      expect(resumed.report.scanned.source).toBe(80);
    } finally {
      await pair.cleanup();
    }
  });

  it('is exact through the shuffle when the pipeline changes keys', async () => {
    const pair = await regionPair();
    try {
      // Prepare: the target holds each source item under the key "t-<pk>"; 3 drifted, 1 extra.
      const rename: SourceTransform = (item) => [{ ...item, pk: { S: `t-${(item.pk as { S: string }).S}` } }];
      const sourceKeyOf = (key: Item): Item => ({
        pk: { S: (key.pk as { S: string }).S.replace(/^t-/, '') },
      });
      const source = Array.from({ length: 90 }, (_, i) =>
        appItem(`k${i}`, versionAt(1_700_000_000_000 + i), { n: { N: String(i) } }),
      );
      const target = source
        .filter((_, i) => i !== 4)
        .map((item, i) => (i === 10 ? { ...item, n: { N: '-1' } } : item))
        .map((item) => replicaOf(rename(item)[0]!));
      target.push(replicaOf(appItem('t-only', versionAt(1_600_000_000_000))));
      await Promise.all([
        batchPut(pair.source, pair.sourceTable, source),
        batchPut(pair.target, pair.targetTable, target),
      ]);

      // Act
      const shuffled = await runJob(pair, { segments: 4, workers: 4, transform: rename, sourceKeyOf });
      const local: Difference[] = [];
      await verify({
        config: pair.config,
        from: SOURCE,
        to: TARGET,
        clients: pair.clients,
        segments: 4,
        settleSeconds: 0,
        transform: rename,
        sourceKeyOf,
        keyHasher,
        onDifference: (difference) => {
          local.push(difference);
        },
      });

      // Assess
      expect(shuffled.spec.shuffle).toBe(true);
      expect(shuffled.report.scaleout?.shuffled).toBe(true);
      expect(sortedRows(shuffled.differences)).toEqual([
        { kind: 'different', pk: 't-k11', attributes: ['n'] },
        { kind: 'missing', pk: 't-k4', attributes: [] },
        { kind: 'extra', pk: 't-only', attributes: [] },
      ]);
      expect(sortedRows(shuffled.differences)).toEqual(sortedRows(local));
    } finally {
      await pair.cleanup();
    }
  });

  it('--sample verifies only the chosen segments and reports the fraction', async () => {
    const pair = await regionPair();
    try {
      // Prepare: every target item is missing, so the differences name exactly the keys scanned.
      const source = Array.from({ length: 64 }, (_, i) => appItem(`k${i}`, versionAt(1_700_000_000_000 + i)));
      await batchPut(pair.source, pair.sourceTable, source);
      const scans = countScans(pair.source);

      // Act
      const sampled = await runJob(pair, { segments: 8, workers: 2, sample: 0.25, sampleSeed: 3 });
      const inChosen = new Set<string>();
      for (const segment of sampled.spec.segments) {
        const page = await pair.source.send(
          new ScanCommand({ TableName: pair.sourceTable, Segment: segment, TotalSegments: 8 }),
        );
        for (const item of page.Items ?? []) inChosen.add((item.pk as { S: string }).S);
      }

      // Assess
      expect(sampled.spec.segments).toHaveLength(2);
      expect(sampled.report.scaleout).toMatchObject({ sample: 0.25, segmentsScanned: 2 });
      expect([...scans.keys()].filter((segment) => !sampled.spec.segments.includes(segment))).toEqual([]);
      expect(new Set(rows(sampled.differences).map((row) => row.pk))).toEqual(inChosen);
      expect(sampled.report.scanned.source).toBe(inChosen.size);
      expect(sampled.report.counts.missing).toBe(inChosen.size);
    } finally {
      await pair.cleanup();
    }
  });

  it('tables with the same key schema put each key in the same segment (4, 7 and 16 segments, two instances)', async () => {
    const pair = await regionPair({
      keys: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'N' } },
    });
    try {
      // Prepare: the same 300 keys in both tables, written in different orders.
      const items = Array.from(
        { length: 300 },
        (_, i) => ({ pk: { S: `p${i % 37}` }, sk: { N: String(i) } }) as Item,
      );
      await Promise.all([
        batchPut(pair.source, pair.sourceTable, items),
        batchPut(pair.target, pair.targetTable, [...items].reverse()),
      ]);
      const keysOf = async (client: DynamoDBClient, table: string, segment: number, total: number) => {
        const keys: string[] = [];
        let start: Record<string, never> | undefined;
        do {
          const page = await client.send(
            new ScanCommand({
              TableName: table,
              Segment: segment,
              TotalSegments: total,
              ExclusiveStartKey: start,
            }),
          );
          for (const item of page.Items ?? []) keys.push(`${item.pk!.S}/${item.sk!.N}`);
          start = page.LastEvaluatedKey as never;
        } while (start !== undefined);
        return keys.sort();
      };

      for (const total of [4, 7, 16]) {
        // Act
        const bySegment = await Promise.all(
          Array.from({ length: total }, async (_, segment) => ({
            source: await keysOf(pair.source, pair.sourceTable, segment, total),
            target: await keysOf(pair.target, pair.targetTable, segment, total),
          })),
        );

        // Assess
        for (const { source, target } of bySegment) expect(target).toEqual(source);
        expect(bySegment.reduce((sum, { source }) => sum + source.length, 0)).toBe(300);
      }
    } finally {
      await pair.cleanup();
    }
  });
});
