import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chooseRate } from '../tools/demo/pacing.js';
import { type LocalDynamo, probeLocalDynamo, startLocalDynamo } from '../tools/localDynamo.js';
import { percentile } from '../tools/percentile.js';
import { CpuProbe, type CpuSnapshot } from './_internals/probes.js';

import { backfillBenchMetrics, benchBackfill } from './backfill.js';
import { benchLag } from './lag.js';
import { benchMaskCost } from './maskCost.js';
import { benchMergeVsLww } from './mergeVsLww.js';
import { benchPlan } from './plan.js';
import { benchReplicateVsRawPut, type RunResult } from './replicateVsRawPut.js';
import { benchScaleout } from './scaleout.js';
import type { BenchResults, Metric, Print, Target } from './types.js';
import { benchVerify, verifyBenchMetrics } from './verify.js';

const USAGE = `npm run bench [-- options]
  --records <n>        uniform-key records per throughput run (default 4000)
  --zipf-records <n>   zipf-key records per hot-key run (default 10000)
  --rounds <n>         measured throughput rounds after the warm-up (default 5)
  --batch-size <n>     records per replicator.process call (default 1000)
  --warmup-puts <n>    conditional puts that warm each DynamoDB Local JVM first (default 8000)
  --lag-seconds <n>    duration of the lag workload (default 20)
  --lag-rate <n>       writes/s of the lag workload (default: --lag-percent of the capacity measured in the same run)
  --lag-percent <n>    share of the measured conditional-put capacity the lag workload writes at (default 25)
  --capacity-puts <n>  conditional puts per instance, timed after the warm-up, that measure the capacity (default 4000)
  --poll-interval <n>  replicator.pollIntervalMs of the lag run (default 50)
  --lag-batch-size <n> replicator.batchSize (GetRecords limit) of the lag run (default 100)
  --verify-items <n>   items per table of the large verify run (default 200000; the small RSS point is a quarter)
  --mask-records <n>   records per batch of the mask_cost run (default 10000)
  --backfill-items <n> source items of the backfill runs (default 10000)
  --backfill-rounds <n> measured backfill rounds after the warm-up (default 3)
  --merge-records <n>  changes per run of the merge-vs-lww benchmark (default 2000)
  --scaleout-items <n> items per table of the scale-out runs (default 40000)
  --only <list>        comma-separated subset of: plan,throughput,lag,verify,mask,backfill,merge,scaleout
  --out <file>         results file (default bench/results.json)`;

const print: Print = (line) => process.stdout.write(`${line}\n`);

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** The 1-minute load average: other processes on a small machine skew every number here. */
const load = (): number => round(loadavg()[0] ?? 0, 2);

const median = (values: readonly number[]): number => percentile(values, 50) ?? Number.NaN;

/** PASS/FAIL of a value against its target; `null` (report only) without one. A missing value fails. */
const judge = (value: number, target: Target | null): boolean | null => {
  if (target === null) return null;
  if (!Number.isFinite(value)) return false;
  return target.op === '>=' ? value >= target.value : value <= target.value;
};

const metric = (
  value: number,
  unit: string,
  target: Target | null,
  detail: Record<string, unknown>,
): Metric => ({ value, unit, target, pass: judge(value, target), detail });

/** CPU of a window in cores, rounded for the results file. */
const cores = (cpu: CpuSnapshot): Record<string, number | null> => ({
  node: round(cpu.node, 2),
  ...Object.fromEntries(
    Object.entries(cpu.jvm).map(([label, used]) => [
      `jvm-${label}`,
      used === undefined ? null : round(used, 2),
    ]),
  ),
});

const summariseRun = (run: RunResult) => ({
  kind: run.kind,
  round: run.round,
  records: run.records,
  writes: run.writes,
  elapsedMs: Math.round(run.elapsedMs),
  recordsPerSecond: Math.round(run.recordsPerSecond),
  writesPerSecond: Math.round(run.writesPerSecond),
  meanInFlight: round(run.inflight.meanInFlight, 1),
  maxInFlight: run.inflight.maxInFlight,
  cpuCores: cores(run.cpu),
  outcomes: run.outcomes,
});

const positive = (name: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`bench: --${name} must be a positive whole number; got "${text}"\n${USAGE}`);
  return value;
};

const printTable = (metrics: Readonly<Record<string, Metric>>): void => {
  const rows = Object.entries(metrics).map(([name, m]) => [
    name,
    String(m.value),
    m.unit,
    m.target === null ? '-' : `${m.target.op} ${m.target.value}`,
    m.pass === null ? 'report' : m.pass ? 'PASS' : 'FAIL',
  ]);
  const header = ['metric', 'value', 'unit', 'target', 'result'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 1 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ');
  print('');
  print(line(header));
  print(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) print(line(row));
};

/**
 * `npm run bench`: runs every benchmark, prints a table and writes `bench/results.json`.
 * Starts two DynamoDB Local processes (source and peer) and always stops them, by their own ids.
 * @returns the process exit code: 0 when every benchmark ran (targets missed or not), 1 otherwise.
 */
export const runBench = async (argv: readonly string[]): Promise<number> => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      records: { type: 'string' },
      'zipf-records': { type: 'string' },
      rounds: { type: 'string' },
      'batch-size': { type: 'string' },
      'warmup-puts': { type: 'string' },
      'lag-seconds': { type: 'string' },
      'lag-rate': { type: 'string' },
      'lag-percent': { type: 'string' },
      'capacity-puts': { type: 'string' },
      'poll-interval': { type: 'string' },
      'lag-batch-size': { type: 'string' },
      only: { type: 'string' },
      'mask-records': { type: 'string' },
      'verify-items': { type: 'string' },
      'scaleout-items': { type: 'string' },
      'backfill-items': { type: 'string' },
      'backfill-rounds': { type: 'string' },
      'merge-records': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    print(USAGE);
    return 0;
  }
  const only = new Set(
    (values.only ?? 'plan,throughput,lag,verify,mask,backfill,merge,scaleout')
      .split(',')
      .map((part) => part.trim()),
  );
  const out = values.out ?? fileURLToPath(new URL('./results.json', import.meta.url));
  const started = Date.now();
  const metrics: Record<string, Metric> = {};
  const failures: string[] = [];

  if (only.has('plan')) {
    print('plan: decode → classify → coalesce → plan (planBatch), no I/O, one core');
    try {
      const loadBefore = load();
      const plan = benchPlan({ print });
      metrics.plan_records_per_s = metric(
        Math.round(plan.uniform.medianRecordsPerSecond),
        'records/s',
        null,
        {
          batchSize: plan.batchSize,
          repetitions: plan.repetitions,
          statistic: 'median of repetitions, uniform keys (every record a write)',
          uniform: {
            min: Math.round(plan.uniform.minRecordsPerSecond),
            max: Math.round(plan.uniform.maxRecordsPerSecond),
            writesPerBatch: plan.uniform.writesPerBatch,
          },
          zipf: {
            median: Math.round(plan.zipf.medianRecordsPerSecond),
            min: Math.round(plan.zipf.minRecordsPerSecond),
            max: Math.round(plan.zipf.maxRecordsPerSecond),
            writesPerBatch: plan.zipf.writesPerBatch,
          },
          loadAverage1m: { before: loadBefore, after: load() },
        },
      );
    } catch (error) {
      failures.push(`plan: ${(error as Error).stack ?? String(error)}`);
    }
  }

  if (only.has('mask')) {
    print(
      'mask: planBatch with five masked attributes (tokenize ×2, encrypt ×2, redact) vs no pipeline, one core',
    );
    try {
      const loadBefore = load();
      const mask = await benchMaskCost({
        batchSize: positive('mask-records', values['mask-records'], 10_000),
        print,
      });
      metrics.mask_cost = metric(
        round(mask.ratio, 3),
        'ratio',
        { op: '>=', value: 0.5 },
        {
          batchSize: mask.batchSize,
          repetitions: mask.repetitions,
          statistic: 'median of per-round ratios; rounds alternate masked and plain',
          maskedRecordsPerSecond: Math.round(mask.maskedRecordsPerSecond),
          plainRecordsPerSecond: Math.round(mask.plainRecordsPerSecond),
          loadAverage1m: { before: loadBefore, after: load() },
        },
      );
    } catch (error) {
      failures.push(`mask: ${(error as Error).stack ?? String(error)}`);
    }
  }

  if (
    only.has('throughput') ||
    only.has('lag') ||
    only.has('verify') ||
    only.has('backfill') ||
    only.has('merge') ||
    only.has('scaleout')
  ) {
    const instances: LocalDynamo[] = [];
    const dir = await mkdtemp(join(tmpdir(), 'dynasync-bench-'));
    const stopAll = () => Promise.all(instances.splice(0).map((instance) => instance.stop()));
    const onSignal = () => {
      print('interrupted: stopping DynamoDB Local ...');
      void stopAll().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      print('starting two DynamoDB Local instances (source, peer) ...');
      const settled = await Promise.allSettled([startLocalDynamo(), startLocalDynamo()]);
      for (const result of settled) if (result.status === 'fulfilled') instances.push(result.value);
      const failed = settled.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      const [source, peer] = instances as [LocalDynamo, LocalDynamo];
      const cpu = new CpuProbe({ source: source.pid, peer: peer.pid });
      const warmupPuts = Math.round(positive('warmup-puts', values['warmup-puts'], 8_000));
      const capacityPuts = only.has('lag') ? positive('capacity-puts', values['capacity-puts'], 4_000) : 0;
      print(
        `warming both JVMs up: ${warmupPuts} conditional puts each, in parallel${capacityPuts > 0 ? `, then ${capacityPuts} more each, timed: the capacity` : ' (not measured)'} ...`,
      );
      const capacityLoad = load();
      const [sourceProbe, peerProbe] = await Promise.all([
        probeLocalDynamo(source.endpoint, { warmupPuts, measuredPuts: capacityPuts }),
        probeLocalDynamo(peer.endpoint, { warmupPuts, measuredPuts: capacityPuts }),
      ]);
      print(
        `  warm-up: source ${Math.round(sourceProbe.warmupPutsPerSecond)} puts/s, peer ${Math.round(peerProbe.warmupPutsPerSecond)} puts/s (both at once)`,
      );
      /** Conditional puts/s the slower instance sustained with both busy: bounds a workload that writes to both. */
      const capacity = Math.min(sourceProbe.capacityPutsPerSecond, peerProbe.capacityPutsPerSecond);
      if (capacityPuts > 0)
        print(
          `  capacity: source ${Math.round(sourceProbe.capacityPutsPerSecond)}, peer ${Math.round(peerProbe.capacityPutsPerSecond)} conditional puts/s (both at once; load ${capacityLoad} → ${load()})`,
        );

      if (only.has('throughput')) {
        print('throughput: raw conditional PutItem vs replicator.process, same items, same concurrency');
        try {
          const loadBefore = load();
          const result = await benchReplicateVsRawPut({
            source,
            peer,
            dir,
            cpu,
            print,
            records: positive('records', values.records, 4_000),
            zipfRecords: positive('zipf-records', values['zipf-records'], 10_000),
            rounds: positive('rounds', values.rounds, 5),
            batchSize: positive('batch-size', values['batch-size'], 1_000),
          });
          const runs = result.runs.map(summariseRun);
          const loadAverage1m = { before: loadBefore, after: load() };
          metrics.replicate_vs_raw_put = metric(
            round(median(result.roundRatios), 3),
            'ratio',
            { op: '>=', value: 0.9 },
            {
              handlerChangesPerSecond: Math.round(result.handlerChangesPerSecond),
              rawPutsPerSecond: Math.round(result.rawPutsPerSecond),
              statistic:
                'median over the measured rounds of (handler changes/s ÷ raw puts/s of the same round): each pair runs back to back, so load drifting over the run cancels',
              roundRatios: result.roundRatios.map((ratio) => round(ratio, 3)),
              ratioOfMedians: round(result.handlerChangesPerSecond / result.rawPutsPerSecond, 3),
              ...result.settings,
              loadAverage1m,
              runs: runs.filter((run) => run.kind === 'raw' || run.kind === 'handler'),
            },
          );
          metrics.hot_key_gain = metric(
            round(median(result.roundHotKeyGains), 2),
            'ratio',
            { op: '>=', value: 3 },
            {
              hotKeyRecordsPerSecond: Math.round(result.hotKeyRecordsPerSecond),
              rawPutsPerSecond: Math.round(result.rawPutsPerSecond),
              statistic:
                'median over the measured rounds of (zipf source records/s ÷ raw puts/s of the same round)',
              roundGains: result.roundHotKeyGains.map((gain) => round(gain, 2)),
              ratioOfMedians: round(result.hotKeyRecordsPerSecond / result.rawPutsPerSecond, 2),
              bigBatch: {
                batchSize: 10_000,
                recordsPerSecond: Math.round(result.hotKeyBigBatchRecordsPerSecond),
                gain: round(result.hotKeyBigBatchRecordsPerSecond / result.rawPutsPerSecond, 2),
              },
              ...result.settings,
              loadAverage1m,
              runs: runs.filter((run) => run.kind === 'hotKeys' || run.kind === 'hotKeysBigBatch'),
            },
          );
        } catch (error) {
          failures.push(`throughput: ${(error as Error).stack ?? String(error)}`);
        }
      }

      if (only.has('lag')) {
        const percent = positive('lag-percent', values['lag-percent'], 25);
        const measuredRate = chooseRate({ capacityPutsPerSecond: capacity, fraction: percent / 100 });
        const rate = positive('lag-rate', values['lag-rate'], measuredRate);
        /** One lag run; the first at the measured fraction (judged), the second at 200/s (reported only). */
        const lagRun = async (runRate: number, tablePrefix: string) => {
          const loadBefore = load();
          const lag = await benchLag({
            source,
            peer,
            dir,
            cpu,
            print,
            tablePrefix,
            seconds: positive('lag-seconds', values['lag-seconds'], 20),
            rate: runRate,
            pollIntervalMs: positive('poll-interval', values['poll-interval'], 50),
            batchSize: positive('lag-batch-size', values['lag-batch-size'], 100),
          });
          return {
            ...lag.settings,
            capacityPutsPerSecond: Math.round(capacity),
            capacityShare: round(runRate / capacity, 3),
            samples: lag.samples,
            writes: lag.writes,
            writeErrors: lag.writeErrors,
            achievedWritesPerSecond: round(lag.achievedWritesPerSecond, 1),
            p50Ms: lag.p50Ms,
            p90Ms: lag.p90Ms,
            p99Ms: lag.p99Ms,
            maxMs: lag.maxMs,
            sourceWriteP50Ms: round(lag.sourceWriteP50Ms, 1),
            sourceWriteP99Ms: round(lag.sourceWriteP99Ms, 1),
            afterSourceAckP50Ms: lag.afterSourceAckP50Ms,
            afterSourceAckP99Ms: lag.afterSourceAckP99Ms,
            outcomes: lag.outcomes,
            batches: lag.batches,
            meanRecordsPerBatch: round(lag.meanRecordsPerBatch, 1),
            drainMs: Math.round(lag.drainMs),
            cpuCores: cores(lag.cpu),
            timings: lag.timings,
            timeline: lag.timeline.map((entry) => entry.join(' ')),
            loadAverage1m: { before: loadBefore, after: load() },
            measure:
              'per applied peer write: Date.now() − version.physicalMs (client stamp time, same machine)',
          };
        };
        print(
          `lag: DynasyncClient writes → stream → poller → replicator → peer, at ${rate} writes/s (${values['lag-rate'] === undefined ? `${percent}% of` : '--lag-rate; measured'} ${Math.round(capacity)} conditional puts/s)`,
        );
        try {
          const detail = await lagRun(rate, 'lag');
          metrics.lag_rate_writes_per_s = metric(rate, 'writes/s', null, {
            capacityPutsPerSecond: Math.round(capacity),
            percentOfCapacity: values['lag-rate'] === undefined ? percent : round((rate / capacity) * 100, 1),
            source: values['lag-rate'] === undefined ? 'measured capacity × --lag-percent' : '--lag-rate',
          });
          metrics.lag_p50_ms = metric(detail.p50Ms, 'ms', null, detail);
          metrics.lag_p99_ms = metric(detail.p99Ms, 'ms', { op: '<=', value: 250 }, detail);
        } catch (error) {
          failures.push(`lag: ${(error as Error).stack ?? String(error)}`);
        }
        if (rate !== 200) {
          print('lag at 200 writes/s (reported only; fresh tables on the same instances)');
          try {
            const detail = await lagRun(200, 'lag200');
            metrics.lag_p99_ms_at_200 = metric(detail.p99Ms, 'ms', null, detail);
          } catch (error) {
            failures.push(`lag at 200/s: ${(error as Error).stack ?? String(error)}`);
          }
        }
      }
      if (only.has('verify')) {
        print(
          'verify: both tables scanned and compared (digests spilled to disk) vs a raw parallel scan; peak RSS at two sizes',
        );
        try {
          const items = positive('verify-items', values['verify-items'], 200_000);
          const result = await benchVerify({
            source,
            peer,
            dir,
            items,
            smallItems: Math.max(1, Math.floor(items / 4)),
            print,
          });
          Object.assign(metrics, verifyBenchMetrics(result));
        } catch (error) {
          failures.push(`verify: ${(error as Error).stack ?? String(error)}`);
        }
      }
      if (only.has('scaleout')) {
        print(
          'scaleout: one segment worker vs the local verify per segment; 4 workers vs 1; modelled at 1,000 workers; orchestration per segment (moto)',
        );
        try {
          Object.assign(
            metrics,
            await benchScaleout({
              source,
              peer,
              dir,
              items: positive('scaleout-items', values['scaleout-items'], 40_000),
              print,
            }),
          );
        } catch (error) {
          failures.push(`scaleout: ${(error as Error).stack ?? String(error)}`);
        }
      }
      if (only.has('backfill')) {
        print(
          'backfill: scan → stamp → conditional puts (or batch writes into an empty idle table) vs the raw writes alone',
        );
        try {
          const loadBefore = load();
          const result = await benchBackfill({
            source,
            peer,
            dir,
            print,
            items: positive('backfill-items', values['backfill-items'], 10_000),
            rounds: positive('backfill-rounds', values['backfill-rounds'], 3),
          });
          for (const [name, entry] of Object.entries(backfillBenchMetrics(result)))
            metrics[name] = {
              ...entry,
              detail: { ...entry.detail, loadAverage1m: { before: loadBefore, after: load() } },
            };
        } catch (error) {
          failures.push(`backfill: ${(error as Error).stack ?? String(error)}`);
        }
      }
      if (only.has('merge')) {
        print('merge vs lww: the same history (10% concurrent writes) replicated with each strategy');
        try {
          const loadBefore = load();
          const result = await benchMergeVsLww({
            source,
            peer,
            dir,
            print,
            records: positive('merge-records', values['merge-records'], 2_000),
          });
          if (result.problems.length > 0) failures.push(`merge: ${result.problems.join('; ')}`);
          metrics.merge_vs_lww = metric(
            round(result.ratio, 3),
            'ratio',
            { op: '>=', value: 0.6 },
            {
              statistic:
                'median over the measured rounds of (merge changes/s ÷ lww changes/s of the same round), the pair run back to back',
              roundRatios: result.roundRatios.map((ratio) => round(ratio, 3)),
              lwwChangesPerSecond: Math.round(result.lwwChangesPerSecond),
              mergeChangesPerSecond: Math.round(result.mergeChangesPerSecond),
              ...result.settings,
              runs: result.runs.map((run) => ({
                ...run,
                elapsedMs: Math.round(run.elapsedMs),
                changesPerSecond: Math.round(run.changesPerSecond),
              })),
              loadAverage1m: { before: loadBefore, after: load() },
            },
          );
        } catch (error) {
          failures.push(`merge: ${(error as Error).stack ?? String(error)}`);
        }
      }
    } catch (error) {
      failures.push(`DynamoDB Local: ${(error as Error).stack ?? String(error)}`);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await stopAll();
      await rm(dir, { recursive: true, force: true });
    }
  }

  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    metrics,
  };
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  printTable(metrics);
  print('');
  const throughput = metrics.replicate_vs_raw_put?.detail;
  if (throughput !== undefined) {
    print(
      `throughput (medians of ${throughput.rounds} rounds, ${throughput.concurrency} in flight): raw conditional PutItem ${throughput.rawPutsPerSecond}/s, ` +
        `handler ${throughput.handlerChangesPerSecond} changes/s (round ratios ${JSON.stringify(throughput.roundRatios)})`,
    );
  }
  const hot = metrics.hot_key_gain?.detail;
  if (hot !== undefined) {
    const big = hot.bigBatch as { recordsPerSecond: number; gain: number };
    print(
      `hot keys (zipf s=${hot.zipfExponent} over ${hot.zipfKeys} keys): ${hot.hotKeyRecordsPerSecond} records/s at batch ${hot.batchSize}, ` +
        `${big.recordsPerSecond} records/s (gain ${big.gain}) at batch 10000`,
    );
  }
  const lag = metrics.lag_p99_ms?.detail;
  if (lag !== undefined) {
    print(
      `lag at ${lag.achievedWritesPerSecond} writes/s, poll ${lag.pollIntervalMs} ms, batch ${lag.batchSize}: p50 ${lag.p50Ms} p90 ${lag.p90Ms} ` +
        `p99 ${lag.p99Ms} max ${lag.maxMs} ms over ${lag.samples} changes; source write p50/p99 ${lag.sourceWriteP50Ms}/${lag.sourceWriteP99Ms} ms; ` +
        `counted from the source write's acknowledgement: p50 ${lag.afterSourceAckP50Ms} p99 ${lag.afterSourceAckP99Ms} ms`,
    );
  }
  const loads = Object.values(metrics).map((m) => m.detail.loadAverage1m as { after: number } | undefined);
  const busiest = Math.max(...loads.map((entry) => entry?.after ?? 0));
  if (busiest > availableParallelism()) {
    print(
      `note: the 1-minute load average reached ${busiest} on ${availableParallelism()} CPUs: other processes competed for the CPU, absolute rates are low and noisy`,
    );
  }
  print(`wrote ${out} in ${Math.round((Date.now() - started) / 1000)} s`);
  for (const failure of failures) print(`ERROR ${failure}`);
  return failures.length === 0 ? 0 : 1;
};

process.exitCode = await runBench(process.argv.slice(2));
