import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { DynasyncClient } from '../client/DynasyncClient.js';
import { parseConfig } from '../core/config/loadConfig.js';
import { createDynamoClients, createStreamsClient } from '../replicator/clients.js';
import { createReplicator } from '../replicator/createReplicator.js';
import type { DeadLetter, DeadLetterSink } from '../replicator/deadLetter/types.js';
import { FileCheckpointStore } from '../replicator/poller/FileCheckpointStore.js';
import { StreamPoller } from '../replicator/poller/StreamPoller.js';
import { WriteOutcomes } from '../replicator/types.js';
import type { LocalDynamo } from '../tools/localDynamo.js';
import { percentile } from '../tools/percentile.js';
import { createReplicatedTable } from '../tools/tables.js';
import { CallTimer, type CpuProbe, type CpuSnapshot } from './_internals/probes.js';
import { createPlainTable } from './_internals/tables.js';
import { seededRandom, syntheticItem } from './records.js';
import type { Print } from './types.js';

/** Options of {@link benchLag}. */
export interface LagBenchOptions {
  readonly source: LocalDynamo;
  readonly peer: LocalDynamo;
  /** Folder for checkpoints (and the unused dead-letter config). */
  readonly dir: string;
  readonly cpu: CpuProbe;
  /** Writes per second into the source region. @default 200 */
  readonly rate?: number;
  /** How long the measured writes go on. @default 20 */
  readonly seconds?: number;
  /**
   * Writes at the same rate before the measurement, not counted: they warm the source JVM, the
   * stream and the poller up, and the measurement starts once they are all replicated, so the
   * numbers describe the steady state. @default 3
   */
  readonly warmupSeconds?: number;
  /** `replicator.pollIntervalMs`: pause after an empty GetRecords. @default 50 */
  readonly pollIntervalMs?: number;
  /** `replicator.batchSize`: GetRecords limit. @default 100 */
  readonly batchSize?: number;
  /** Distinct keys written (uniform). @default 5000 */
  readonly keys?: number;
  /**
   * Prefix of the two tables (`<prefix>-source`, `<prefix>-peer`): each run of one process needs its
   * own, as tables are created fresh. @default 'lag'
   */
  readonly tablePrefix?: string;
  readonly print?: Print;
}

/** Replication lag of applied writes, and what the run did. */
export interface LagBenchResult {
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly samples: number;
  readonly writes: number;
  readonly writeErrors: number;
  /** Measured writes ÷ time until the last of them completed: below `rate` when the source fell behind. */
  readonly achievedWritesPerSecond: number;
  /** Latency of the source write through the client helper (part of the lag). */
  readonly sourceWriteP50Ms: number;
  readonly sourceWriteP99Ms: number;
  /** Lag counted from the source write's acknowledgement instead of its stamp: what dynasync adds. */
  readonly afterSourceAckP50Ms: number;
  readonly afterSourceAckP99Ms: number;
  /** Peer write outcomes of the measured changes; `coalesced` and `streamRecords` include the warm-up. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Batches processed, warm-up included. */
  readonly batches: number;
  readonly meanRecordsPerBatch: number;
  readonly drainMs: number;
  readonly cpu: CpuSnapshot;
  /**
   * Where a change's time goes, measured window only: SDK calls by client and command (`stream.GetRecords`,
   * `source.PutItem`, `peer.PutItem`, ...), `replicator.process` per batch, `checkpoint.save`, and
   * `batchCycle`, the time from one batch's end to the next (checkpoint save, GetRecords, empty polls).
   */
  readonly timings: Readonly<Record<string, unknown>>;
  /** Per second of the measurement (by stamp time): `[second, changes, p50 ms, max ms]`; stalls stand out. */
  readonly timeline: ReadonlyArray<readonly [number, number, number, number]>;
  readonly settings: Readonly<Record<string, unknown>>;
}

/** A number attribute on every item the lag workload writes, to match peer writes to source writes. */
const SEQUENCE_ATTRIBUTE = 'benchSequence';

const SOURCE = 'eu-west-1';
const PEER = 'us-east-1';

/**
 * `lag_p50_ms` / `lag_p99_ms`: a steady stream of writes through the client helper into the source
 * region, replicated to the peer by the `dynasync run` poller in this process. A change's lag is taken
 * when its peer write is applied: now − the version's physical time, which is the client's stamp
 * time on this same machine (DynamoDB Local's stream times are whole seconds, too coarse).
 *
 * ```
 * client stamps v (t0) ─► PutItem source ─► stream ─► GetRecords (poll) ─► plan ─► PutItem peer ✓ (t1)
 *                                                                        lag = t1 − t0
 * ```
 */
export const benchLag = async (options: LagBenchOptions): Promise<LagBenchResult> => {
  const print = options.print ?? (() => undefined);
  const rate = options.rate ?? 200;
  const seconds = options.seconds ?? 20;
  const warmupSeconds = options.warmupSeconds ?? 3;
  const pollIntervalMs = options.pollIntervalMs ?? 50;
  const batchSize = options.batchSize ?? 100;
  const keyCount = options.keys ?? 5_000;
  const sourceTable = `${options.tablePrefix ?? 'lag'}-source`;
  const peerTable = `${options.tablePrefix ?? 'lag'}-peer`;
  const config = parseConfig(
    {
      version: 1,
      name: `bench-${options.tablePrefix ?? 'lag'}`,
      regions: {
        [SOURCE]: { table: sourceTable, endpoint: options.source.endpoint },
        [PEER]: { table: peerTable, endpoint: options.peer.endpoint },
      },
      // Active-active, so the replicator ships the client's own stamp (one-way derives versions from
      // the stream's time, whole seconds on DynamoDB Local). Only the source's poller runs.
      topology: { type: 'active-active' },
      replicator: { pollIntervalMs, batchSize, checkpointDir: options.dir, startingPosition: 'TRIM_HORIZON' },
      deadLetter: { type: 'file', dir: options.dir },
    },
    'bench-lag',
  );
  const clients = createDynamoClients(config);
  const streamsClient = createStreamsClient(config, SOURCE);
  const logger = new Logger({ serviceName: 'dynasync-bench', logLevel: 'ERROR' });
  const outcomes: Record<string, number> = {
    applied: 0,
    stale: 0,
    permanent: 0,
    unfinished: 0,
    deadLettered: 0,
    coalesced: 0,
  };
  const lags: number[] = [];
  /** Lag from the source write's acknowledgement (not its stamp): stream → poll → plan → peer write only. */
  const pipelineLags: number[] = [];
  /** Epoch ms at which the client saw each source write succeed, by the item's bench sequence. */
  const acknowledgedAt = new Map<number, number>();
  let nextSequence = 0;
  /** Lags by the second (of the measurement) the change was stamped in: shows stalls. */
  const lagsBySecond = new Map<number, number[]>();
  /** Changes stamped before this epoch ms belong to the warm-up. */
  let measureFromMs = Number.POSITIVE_INFINITY;
  const writeLatencies: number[] = [];
  let recordsSeen = 0;
  let batches = 0;
  let lastBatchAt: number | undefined;
  const deadLetters: DeadLetterSink = {
    send: async (entries: readonly DeadLetter[]) => {
      outcomes.deadLettered = (outcomes.deadLettered ?? 0) + entries.length;
    },
  };
  let poller: StreamPoller | undefined;
  try {
    await Promise.all([
      createReplicatedTable(clients[SOURCE]!, sourceTable, { partitionKey: { name: 'pk', type: 'S' } }),
      // Nobody reads the peer's stream (its replicator does not run): no stream, see createPlainTable.
      createPlainTable(clients[PEER]!, peerTable),
    ]);
    const timers = {
      stream: new CallTimer(),
      source: new CallTimer(),
      peer: new CallTimer(),
      poller: new CallTimer(),
    };
    timers.stream.attach(streamsClient);
    timers.source.attach(clients[SOURCE]!);
    timers.peer.attach(clients[PEER]!);
    // `dynasync run`'s own file store (write, fsync, rename after every batch), timed.
    const checkpointStore = FileCheckpointStore.forRegion(config, SOURCE);
    const replicator = createReplicator({
      config,
      region: SOURCE,
      clients,
      logger,
      deadLetters,
      onWriteResult: (result) => {
        const stampedAt = result.write.change.version.physicalMs;
        if (stampedAt < measureFromMs) return;
        outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
        if (result.outcome !== WriteOutcomes.applied) return;
        const now = Date.now();
        const lag = now - stampedAt;
        lags.push(lag);
        const sequence = result.write.change.item[SEQUENCE_ATTRIBUTE];
        if (sequence !== undefined && 'N' in sequence) {
          // The peer can hold the change before the client has even read the source's response.
          const acknowledged = acknowledgedAt.get(Number(sequence.N));
          pipelineLags.push(acknowledged === undefined ? 0 : Math.max(0, now - acknowledged));
        }
        const second = Math.floor((stampedAt - measureFromMs) / 1000);
        const bucket = lagsBySecond.get(second);
        if (bucket === undefined) lagsBySecond.set(second, [lag]);
        else bucket.push(lag);
      },
    });
    poller = new StreamPoller({
      config,
      region: SOURCE,
      replicator: {
        ...replicator,
        process: async (records, deadlineMs) => {
          const started = performance.now();
          try {
            return await replicator.process(records, deadlineMs);
          } finally {
            timers.poller.add('replicator.process', performance.now() - started);
          }
        },
      },
      streamsClient,
      dynamoClient: clients[SOURCE]!,
      checkpoints: {
        load: () => checkpointStore.load(),
        save: async (checkpoints) => {
          const started = performance.now();
          try {
            await checkpointStore.save(checkpoints);
          } finally {
            timers.poller.add('checkpoint.save', performance.now() - started);
          }
        },
      },
      logger,
      statsIntervalMs: 0,
      onBatch: (result) => {
        const now = performance.now();
        if (lastBatchAt !== undefined) timers.poller.add('batchCycle', now - lastBatchAt);
        lastBatchAt = now;
        recordsSeen += result.counts.records;
        batches += 1;
        outcomes.coalesced = (outcomes.coalesced ?? 0) + result.counts.skipped.coalesced;
      },
    });
    await poller.start();

    const client = new DynasyncClient({
      client: clients[SOURCE]!,
      region: SOURCE,
      prefix: config.metadata.prefix,
    });
    const random = seededRandom(7);
    const total = Math.round(rate * seconds);
    const intervalMs = 1000 / rate;
    const inFlight = new Set<Promise<void>>();
    let writeErrors = 0;
    let measuring = false;
    const write = (): void => {
      const counted = measuring;
      const pk = `user#${String(Math.floor(random() * keyCount)).padStart(6, '0')}`;
      const sequence = nextSequence;
      nextSequence += 1;
      const item = { ...syntheticItem(pk, random), [SEQUENCE_ATTRIBUTE]: { N: String(sequence) } };
      const started = performance.now();
      const done: Promise<void> = client
        .put({ TableName: sourceTable, Item: item as PutItemCommandInput['Item'] })
        .then(
          () => {
            acknowledgedAt.set(sequence, Date.now());
            if (counted) writeLatencies.push(performance.now() - started);
          },
          () => {
            if (counted) writeErrors += 1;
          },
        );
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
    };

    /** Issues `count` writes at `rate`/s on a fixed schedule (late ones catch up), whatever their latency. */
    const writeSteadily = async (count: number): Promise<void> => {
      const started = performance.now();
      let issued = 0;
      while (issued < count) {
        const due = Math.min(count, Math.floor((performance.now() - started) / intervalMs) + 1);
        for (; issued < due; issued += 1) write();
        await sleep(Math.max(1, started + issued * intervalMs - performance.now()));
      }
    };

    const warmupWrites = Math.round(rate * warmupSeconds);
    print(`  warm-up: ${rate} writes/s for ${warmupSeconds} s (not counted)`);
    await writeSteadily(warmupWrites);
    // Start the measurement from an empty pipeline: a backlog left by the cold start would
    // otherwise be measured as the first seconds' lag.
    const caughtUp = performance.now();
    while (recordsSeen < warmupWrites && performance.now() - caughtUp < 20_000) await sleep(20);
    print(
      `  writing ${rate}/s for ${seconds} s through DynasyncClient; poll interval ${pollIntervalMs} ms, batch size ${batchSize}`,
    );
    measuring = true;
    measureFromMs = Date.now();
    options.cpu.reset();
    for (const timer of Object.values(timers)) timer.reset();
    lastBatchAt = undefined;
    const started = performance.now();
    await writeSteadily(total);
    await Promise.all(inFlight);
    const writingMs = performance.now() - started;
    const cpu = options.cpu.snapshot();
    const timings = Object.fromEntries(
      Object.entries(timers).map(([name, timer]) => [name, timer.summary()]),
    );
    const writes = total - writeErrors;

    const expected = warmupWrites + total;
    const drainStarted = performance.now();
    while (recordsSeen < expected && performance.now() - drainStarted < 30_000) await sleep(20);
    const drainMs = performance.now() - drainStarted;
    if (recordsSeen < expected) {
      print(
        `  warning: only ${recordsSeen} of ${expected} stream records were replicated 30 s after the last write`,
      );
    }

    return {
      p50Ms: percentile(lags, 50) ?? Number.NaN,
      p90Ms: percentile(lags, 90) ?? Number.NaN,
      p99Ms: percentile(lags, 99) ?? Number.NaN,
      maxMs: lags.length === 0 ? Number.NaN : Math.max(...lags),
      samples: lags.length,
      writes,
      writeErrors,
      achievedWritesPerSecond: total / (writingMs / 1000),
      sourceWriteP50Ms: percentile(writeLatencies, 50) ?? Number.NaN,
      sourceWriteP99Ms: percentile(writeLatencies, 99) ?? Number.NaN,
      afterSourceAckP50Ms: percentile(pipelineLags, 50) ?? Number.NaN,
      afterSourceAckP99Ms: percentile(pipelineLags, 99) ?? Number.NaN,
      outcomes: { ...outcomes, streamRecords: recordsSeen },
      batches,
      meanRecordsPerBatch: batches === 0 ? 0 : recordsSeen / batches,
      drainMs,
      cpu,
      timings,
      timeline: [...lagsBySecond.entries()]
        .sort(([a], [b]) => a - b)
        .map(
          ([second, list]) => [second, list.length, percentile(list, 50) ?? 0, Math.max(...list)] as const,
        ),
      settings: {
        rate,
        seconds,
        warmupSeconds,
        pollIntervalMs,
        batchSize,
        keys: keyCount,
        topology: 'active-active (source poller only)',
        concurrency: config.replicator.concurrency,
      },
    };
  } finally {
    await poller?.stop();
    for (const dynamo of Object.values(clients)) dynamo.destroy();
    streamsClient.destroy();
  }
};
