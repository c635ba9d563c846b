import { Logger } from '@aws-lambda-powertools/logger';
import { PutItemCommand, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { parseConfig } from '../core/config/loadConfig.js';
import { metadataNames, peersOf } from '../core/config/topology.js';
import type { Config } from '../core/config/types.js';
import { createDynamoClients } from '../replicator/clients.js';
import { createReplicator } from '../replicator/createReplicator.js';
import type { DeadLetter, DeadLetterSink } from '../replicator/deadLetter/types.js';
import { type PlanContext, planBatch } from '../replicator/planBatch.js';
import type { BatchCounts } from '../replicator/types.js';
import type { LocalDynamo } from '../tools/localDynamo.js';
import { percentile } from '../tools/percentile.js';
import {
  type CpuProbe,
  type CpuSnapshot,
  InflightGauge,
  type InflightSnapshot,
} from './_internals/probes.js';
import { createPlainTable, dropTable } from './_internals/tables.js';
import { batchesOf, type SyntheticStream, syntheticStream } from './records.js';
import type { Print } from './types.js';

/** Options of {@link benchReplicateVsRawPut}. */
export interface ThroughputBenchOptions {
  readonly source: LocalDynamo;
  readonly peer: LocalDynamo;
  /** Folder for the (unused) dead-letter config. */
  readonly dir: string;
  /** Measures CPU of this process and the JVMs per run. */
  readonly cpu: CpuProbe;
  /** Uniform-key records per run (raw puts and handler alike). @default 4000 */
  readonly records?: number;
  /** Zipf-key records per hot-key run. @default 10000 */
  readonly zipfRecords?: number;
  /** Measured rounds; each runs raw, handler (uniform) and handler (zipf), order alternating. @default 5 */
  readonly rounds?: number;
  /** Records per `replicator.process` call. @default 1000 */
  readonly batchSize?: number;
  /** Writes in flight, raw and handler alike (`replicator.concurrency`). @default 32 */
  readonly concurrency?: number;
  /** Zipf key space and exponent of the hot-key runs. @default 1000 keys, s = 1.2 */
  readonly zipf?: { readonly keys: number; readonly exponent: number };
  readonly print?: Print;
}

/** The kinds of timed run. */
export const RunKinds = {
  /** Conditional PutItem of every item straight from the benchmark, `concurrency` in flight. */
  raw: 'raw',
  /** The same items as stream records through `replicator.process`, uniform keys. */
  handler: 'handler',
  /** Zipf-keyed stream records through `replicator.process` (coalescing). */
  hotKeys: 'hotKeys',
  /** Zipf-keyed records in one Lambda-maximum batch, for the detail only. */
  hotKeysBigBatch: 'hotKeysBigBatch',
} as const;
export type RunKind = (typeof RunKinds)[keyof typeof RunKinds];

/** One timed run against a fresh peer table. */
export interface RunResult {
  readonly kind: RunKind;
  /** 0 is the warm-up round (not counted). */
  readonly round: number;
  readonly records: number;
  /** PutItem requests that ended (raw) or peer writes planned (handler). */
  readonly writes: number;
  readonly elapsedMs: number;
  /** Source records (= changes) absorbed per second. */
  readonly recordsPerSecond: number;
  /** Peer PutItem calls per second. */
  readonly writesPerSecond: number;
  readonly inflight: InflightSnapshot;
  readonly cpu: CpuSnapshot;
  /** applied / stale / failed (raw) or the summed batch counts (handler). */
  readonly outcomes: Readonly<Record<string, number>>;
}

/** Median rates of the measured rounds and every run. */
export interface ThroughputBenchResult {
  readonly rawPutsPerSecond: number;
  readonly handlerChangesPerSecond: number;
  readonly hotKeyRecordsPerSecond: number;
  readonly hotKeyBigBatchRecordsPerSecond: number;
  /** handler ÷ raw of each measured round (the pair ran back to back: the robust statistic on a busy machine). */
  readonly roundRatios: readonly number[];
  /** hot keys ÷ raw of each measured round. */
  readonly roundHotKeyGains: readonly number[];
  readonly settings: Readonly<Record<string, unknown>>;
  readonly runs: readonly RunResult[];
}

const SOURCE = 'eu-west-1';
const PEER = 'us-east-1';
const CONDITION = 'attribute_not_exists(#v) OR #v < :v';

class CountingSink implements DeadLetterSink {
  public count = 0;
  public async send(entries: readonly DeadLetter[]): Promise<void> {
    this.count += entries.length;
  }
}

const median = (values: readonly number[]): number => percentile(values, 50) ?? Number.NaN;

const addCounts = (total: Record<string, number>, counts: BatchCounts): void => {
  for (const name of [
    'records',
    'changes',
    'applied',
    'stale',
    'deadLettered',
    'unfinished',
    'retried',
  ] as const) {
    total[name] = (total[name] ?? 0) + counts[name];
  }
  total.coalesced = (total.coalesced ?? 0) + counts.skipped.coalesced;
};

/**
 * `replicate_vs_raw_put` and `hot_key_gain`: the replicator's throughput against the fastest a
 * client can write the same conditional puts, measured side by side on the same DynamoDB Local.
 *
 * Each run writes into a fresh peer table; the order of the runs alternates between rounds so
 * neither side always runs on a warmer (or more tired) JVM. Round 0 is a warm-up. A round's ratios
 * compare runs made back to back, so the median of the rounds' ratios resists load that drifts
 * over the run (other processes on a 2-core machine) better than a ratio of overall medians.
 *
 * ```
 * round 0 (warm-up)  raw  handler  hot
 * round 1            raw  handler  hot  hot(big batch)      ratio₁ = handler/raw, gain₁ = hot/raw
 * round 2            hot(big)  hot  handler  raw            ratio₂, gain₂
 * …                                                         → median of ratioₙ, median of gainₙ
 * ```
 */
export const benchReplicateVsRawPut = async (
  options: ThroughputBenchOptions,
): Promise<ThroughputBenchResult> => {
  const print = options.print ?? (() => undefined);
  const recordCount = options.records ?? 4_000;
  const zipfCount = options.zipfRecords ?? 10_000;
  const rounds = options.rounds ?? 5;
  const batchSize = options.batchSize ?? 1_000;
  const concurrency = options.concurrency ?? 32;
  const zipf = options.zipf ?? { keys: 1_000, exponent: 1.2 };
  const configFor = (peerTable: string): Config =>
    parseConfig(
      {
        version: 1,
        name: 'bench',
        regions: {
          [SOURCE]: { table: 'bench-source', endpoint: options.source.endpoint },
          [PEER]: { table: peerTable, endpoint: options.peer.endpoint },
        },
        topology: { type: 'one-way', from: SOURCE, to: [PEER] },
        replicator: { concurrency },
        deadLetter: { type: 'file', dir: options.dir },
      },
      'bench',
    );
  const baseConfig = configFor('bench-peer');
  const names = metadataNames(baseConfig);
  const planContext: PlanContext = {
    region: SOURCE,
    peers: peersOf(baseConfig, SOURCE),
    topology: baseConfig.topology.type,
    names,
    tombstoneRetentionSeconds: baseConfig.tombstones.retentionDays * 86_400,
  };

  // The same keep-alive clients the replicator builds for itself (maxSockets = 2 × concurrency).
  const clients = createDynamoClients(baseConfig, { maxSockets: concurrency * 2 });
  const peerClient = clients[PEER]!;
  const gauge = new InflightGauge();
  gauge.attach(peerClient);
  const logger = new Logger({ serviceName: 'dynasync-bench', logLevel: 'ERROR' });

  const uniform = syntheticStream({ count: recordCount, keys: { type: 'uniform' }, seed: 1 });
  const hot = syntheticStream({ count: zipfCount, keys: { type: 'zipf', ...zipf }, seed: 2 });
  const warmUniform = syntheticStream({
    count: Math.min(recordCount, 3_000),
    keys: { type: 'uniform' },
    seed: 3,
  });
  const warmHot = syntheticStream({
    count: Math.min(zipfCount, 3_000),
    keys: { type: 'zipf', ...zipf },
    seed: 4,
  });

  let tableCounter = 0;
  const withTable = async <T>(kind: string, run: (table: string) => Promise<T>): Promise<T> => {
    tableCounter += 1;
    const table = `bench-${kind}-${tableCounter}`;
    await createPlainTable(peerClient, table);
    try {
      return await run(table);
    } finally {
      await dropTable(peerClient, table);
    }
  };

  const timed = async (
    kind: RunKind,
    round: number,
    records: number,
    body: () => Promise<{ writes: number; outcomes: Record<string, number> }>,
  ): Promise<RunResult> => {
    gauge.reset();
    options.cpu.reset();
    const started = performance.now();
    const { writes, outcomes } = await body();
    const elapsedMs = performance.now() - started;
    const result: RunResult = {
      kind,
      round,
      records,
      writes,
      elapsedMs,
      recordsPerSecond: records / (elapsedMs / 1000),
      writesPerSecond: writes / (elapsedMs / 1000),
      inflight: gauge.snapshot(),
      cpu: options.cpu.snapshot(),
      outcomes,
    };
    const jvm = result.cpu.jvm.peer;
    print(
      `  round ${round}${round === 0 ? ' (warm-up)' : ''} ${kind.padEnd(15)} ${String(Math.round(result.recordsPerSecond)).padStart(6)} records/s  ` +
        `${String(Math.round(result.writesPerSecond)).padStart(5)} puts/s  in flight ${result.inflight.meanInFlight.toFixed(1)}  ` +
        `cpu node ${result.cpu.node.toFixed(2)} peer-jvm ${jvm === undefined ? '-' : jvm.toFixed(2)}`,
    );
    return result;
  };

  const runRaw = (stream: SyntheticStream, round: number): Promise<RunResult> =>
    withTable('raw', (table) => {
      // Exactly the items and versions the replicator writes for these records (planned here,
      // before the clock starts), so both sides send the same bytes; only the sending differs.
      const { writes } = planBatch(stream.records, planContext);
      const inputs: PutItemCommandInput[] = writes.map(({ change }) => ({
        TableName: table,
        Item: change.item as PutItemCommandInput['Item'],
        ConditionExpression: CONDITION,
        ExpressionAttributeNames: { '#v': names.version },
        ExpressionAttributeValues: { ':v': { S: change.versionText } },
      }));
      return timed(RunKinds.raw, round, inputs.length, async () => {
        const limit = pLimit(concurrency);
        const outcomes = { applied: 0, stale: 0, failed: 0 };
        await Promise.all(
          inputs.map((input) =>
            limit(async () => {
              try {
                await peerClient.send(new PutItemCommand(input));
                outcomes.applied += 1;
              } catch (error) {
                if ((error as { name?: string }).name === 'ConditionalCheckFailedException')
                  outcomes.stale += 1;
                else outcomes.failed += 1;
              }
            }),
          ),
        );
        return { writes: inputs.length, outcomes };
      });
    });

  const runHandler = (
    kind: RunKind,
    stream: SyntheticStream,
    round: number,
    size: number,
  ): Promise<RunResult> =>
    withTable('rep', (table) => {
      const deadLetters = new CountingSink();
      const replicator = createReplicator({
        config: configFor(table),
        region: SOURCE,
        clients,
        logger,
        deadLetters,
      });
      const batches = batchesOf(stream.records, size);
      return timed(kind, round, stream.records.length, async () => {
        const totals: Record<string, number> = {};
        let resumed = 0;
        for (const batch of batches) {
          const result = await replicator.process(batch, Date.now() + 120_000);
          addCounts(totals, result.counts);
          resumed += result.batchItemFailures.length;
        }
        totals.batchItemFailures = resumed;
        totals.deadLetters = deadLetters.count;
        return { writes: totals.changes ?? 0, outcomes: totals };
      });
    });

  const runs: RunResult[] = [];
  const problems: string[] = [];
  const check = (result: RunResult): RunResult => {
    const { outcomes } = result;
    const bad =
      result.kind === RunKinds.raw
        ? (outcomes.failed ?? 0) + (outcomes.stale ?? 0)
        : (outcomes.unfinished ?? 0) +
          (outcomes.deadLetters ?? 0) +
          (outcomes.batchItemFailures ?? 0) +
          (outcomes.stale ?? 0);
    if (bad > 0) problems.push(`round ${result.round} ${result.kind}: ${JSON.stringify(outcomes)}`);
    runs.push(result);
    return result;
  };

  try {
    print(`  warm-up: ${warmUniform.records.length} uniform and ${warmHot.records.length} zipf records`);
    check(await runRaw(warmUniform, 0));
    check(await runHandler(RunKinds.handler, warmUniform, 0, batchSize));
    check(await runHandler(RunKinds.hotKeys, warmHot, 0, batchSize));
    for (let round = 1; round <= rounds; round += 1) {
      const steps: Array<() => Promise<RunResult>> = [
        () => runRaw(uniform, round),
        () => runHandler(RunKinds.handler, uniform, round, batchSize),
        () => runHandler(RunKinds.hotKeys, hot, round, batchSize),
        () => runHandler(RunKinds.hotKeysBigBatch, hot, round, 10_000),
      ];
      if (round % 2 === 0) steps.reverse();
      for (const step of steps) check(await step());
    }
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
  if (problems.length > 0) {
    throw new Error(
      `benchReplicateVsRawPut: runs did not write every change exactly once, so their rates mean nothing:\n  ${problems.join('\n  ')}`,
    );
  }

  const measured = (kind: RunKind) => runs.filter((run) => run.round > 0 && run.kind === kind);
  const rates = (kind: RunKind) => measured(kind).map((run) => run.recordsPerSecond);
  const raw = measured(RunKinds.raw);
  const perRound = (kind: RunKind) =>
    measured(kind).map(
      (run) => run.recordsPerSecond / raw.find((other) => other.round === run.round)!.recordsPerSecond,
    );
  return {
    rawPutsPerSecond: median(rates(RunKinds.raw)),
    handlerChangesPerSecond: median(rates(RunKinds.handler)),
    hotKeyRecordsPerSecond: median(rates(RunKinds.hotKeys)),
    hotKeyBigBatchRecordsPerSecond: median(rates(RunKinds.hotKeysBigBatch)),
    roundRatios: perRound(RunKinds.handler),
    roundHotKeyGains: perRound(RunKinds.hotKeys),
    settings: {
      uniformRecords: recordCount,
      zipfRecords: zipfCount,
      zipfKeys: zipf.keys,
      zipfExponent: zipf.exponent,
      zipfDistinctKeys: hot.distinctKeys,
      rounds,
      batchSize,
      concurrency,
      maxSockets: concurrency * 2,
    },
    runs,
  };
};
