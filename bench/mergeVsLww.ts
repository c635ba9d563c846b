import { Logger } from '@aws-lambda-powertools/logger';
import { PutItemCommand, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { type MergeWrite, stampMergeWrite } from '../conflict/merge/stampMergeWrite.js';
import { type MergeSpec, mergeNamesFor } from '../conflict/merge/types.js';
import { encodeVersion, type Version } from '../conflict/version.js';
import { encodeItem } from '../core/codec.js';
import { parseConfig } from '../core/config/loadConfig.js';
import type { Item } from '../core/types.js';
import { createDynamoClients } from '../replicator/clients.js';
import { createReplicator } from '../replicator/createReplicator.js';
import type { DeadLetter, DeadLetterSink } from '../replicator/deadLetter/types.js';
import type { BatchCounts, StreamRecord } from '../replicator/types.js';
import type { LocalDynamo } from '../tools/localDynamo.js';
import { percentile } from '../tools/percentile.js';
import { createPlainTable, dropTable } from './_internals/tables.js';
import { batchesOf, seededRandom, syntheticItem } from './records.js';
import type { Print } from './types.js';

/** Options of {@link benchMergeVsLww}. */
export interface MergeVsLwwOptions {
  readonly source: LocalDynamo;
  readonly peer: LocalDynamo;
  readonly dir: string;
  /** Changes (one per key) per run. @default 2000 */
  readonly records?: number;
  /** Share of changes whose key the peer wrote concurrently. @default 0.1 */
  readonly concurrentShare?: number;
  /** Measured rounds (each runs both strategies, order alternating) after a warm-up round. @default 3 */
  readonly rounds?: number;
  /** Records per `replicator.process` call. @default 500 */
  readonly batchSize?: number;
  /** Writes in flight. @default 32 */
  readonly concurrency?: number;
  readonly print?: Print;
}

/** One timed run. */
export interface MergeVsLwwRun {
  readonly strategy: 'lww' | 'merge';
  readonly round: number;
  readonly changesPerSecond: number;
  readonly elapsedMs: number;
  readonly counts: Readonly<Record<string, number>>;
}

/** The result: the median of the rounds' ratios and every run. */
export interface MergeVsLwwResult {
  readonly ratio: number;
  readonly roundRatios: readonly number[];
  readonly lwwChangesPerSecond: number;
  readonly mergeChangesPerSecond: number;
  readonly runs: readonly MergeVsLwwRun[];
  readonly problems: readonly string[];
  readonly settings: Readonly<Record<string, unknown>>;
}

const SOURCE = 'eu-west-1';
const PEER = 'us-east-1';
const SPEC: MergeSpec = { attributes: { tags: 'set' }, default: 'lww' };
const names = mergeNamesFor('_ds_');

class CountingSink implements DeadLetterSink {
  public count = 0;
  public async send(entries: readonly DeadLetter[]): Promise<void> {
    this.count += entries.length;
  }
}

const record = (index: number, keys: Item, oldImage: Item, newImage: Item, atMs: number): StreamRecord => {
  const wireNew = encodeItem(newImage);
  const wireOld = encodeItem(oldImage);
  return {
    eventID: `e${index}`,
    eventName: 'MODIFY',
    eventSource: 'aws:dynamodb',
    awsRegion: SOURCE,
    dynamodb: {
      ApproximateCreationDateTime: atMs / 1000,
      Keys: encodeItem(keys),
      NewImage: wireNew,
      OldImage: wireOld,
      SequenceNumber: String(10n ** 20n + BigInt(index)),
      SizeBytes: JSON.stringify([wireNew, wireOld]).length,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
};

/** One strategy's workload: what the peer holds before, and the source's stream records. */
interface Workload {
  readonly peerItems: readonly Item[];
  readonly records: readonly StreamRecord[];
}

/**
 * The same application history under both strategies: every key was written in the source region
 * (and replicated), then updated again there (the records); for `concurrentShare` of the keys the peer
 * region updated the item in between, concurrently (not yet seen by the source).
 */
const workloads = (count: number, share: number): { lww: Workload; merge: Workload } => {
  const random = seededRandom(7);
  const baseMs = Date.now();
  const version = (ms: number, origin: string): Version => ({ physicalMs: ms, logical: 0, origin });
  const lww = { peerItems: [] as Item[], records: [] as StreamRecord[] };
  const merge = { peerItems: [] as Item[], records: [] as StreamRecord[] };
  for (let i = 0; i < count; i += 1) {
    const pk = `key-${String(i).padStart(6, '0')}`;
    const keys: Item = { pk: { S: pk } };
    const { pk: _pk, tags, ...rest } = syntheticItem(pk, random);
    const content: Item = { ...rest, ...(tags === undefined ? {} : { tags }) };
    const concurrent = random() < share;
    const at = [baseMs - 3, baseMs - 2, baseMs - 1].map((ms) => ms);
    const euUpdate: Item = { name: { S: `renamed-${i}` }, active: { BOOL: random() < 0.5 } };
    const usUpdate: Item = { city: { S: 'Ohio' } };
    // LWW: whole items with HLC versions.
    const lwwBase = { ...keys, ...content, [names.version]: { S: encodeVersion(version(at[0]!, SOURCE)) } };
    const lwwNext = {
      ...lwwBase,
      ...euUpdate,
      [names.version]: { S: encodeVersion(version(at[2]!, SOURCE)) },
    };
    const lwwPeer = concurrent
      ? { ...lwwBase, ...usUpdate, [names.version]: { S: encodeVersion(version(at[1]!, PEER)) } }
      : lwwBase;
    lww.peerItems.push({ ...lwwPeer, [names.replicated]: { BOOL: true } });
    lww.records.push(record(i, keys, lwwBase, lwwNext, at[2]!));
    // Merge: the same history through the merge client's stamping.
    const stamp = (stored: Item | undefined, region: string, ms: number, write: MergeWrite) =>
      stampMergeWrite(stored, keys, write, {
        region,
        version: encodeVersion(version(ms, region)),
        expiresAt: '0',
        spec: SPEC,
        names,
      });
    const mergeBase = stamp(undefined, SOURCE, at[0]!, { type: 'put', item: { ...keys, ...content } });
    const mergeNext = stamp(mergeBase, SOURCE, at[2]!, { type: 'update', set: euUpdate });
    const mergePeer = concurrent
      ? stamp(mergeBase, PEER, at[1]!, { type: 'update', set: usUpdate })
      : mergeBase;
    merge.peerItems.push({ ...mergePeer, [names.replicated]: { BOOL: true } });
    merge.records.push(record(i, keys, mergeBase, mergeNext, at[2]!));
  }
  return { lww, merge };
};

/**
 * `merge_vs_lww`: changes/s of the replicator with `conflict.strategy: "merge"` ÷ changes/s with `lww`,
 * the same history (10% of keys written concurrently in the peer region) replayed into a fresh peer
 * table for each run, both strategies side by side on the same DynamoDB Local. Merge costs one
 * conditional put per change like LWW when the peer holds what the source held, and a consistent
 * read plus a put per concurrent write.
 */
export const benchMergeVsLww = async (options: MergeVsLwwOptions): Promise<MergeVsLwwResult> => {
  const print = options.print ?? (() => undefined);
  const count = options.records ?? 2_000;
  const share = options.concurrentShare ?? 0.1;
  const rounds = options.rounds ?? 3;
  const batchSize = options.batchSize ?? 500;
  const concurrency = options.concurrency ?? 32;
  const configFor = (strategy: 'lww' | 'merge', peerTable: string) =>
    parseConfig({
      version: 1,
      name: 'bench',
      regions: {
        [SOURCE]: { table: 'bench-source', endpoint: options.source.endpoint },
        [PEER]: { table: peerTable, endpoint: options.peer.endpoint },
      },
      topology: { type: 'active-active' },
      conflict: strategy === 'lww' ? { strategy } : { strategy, attributes: { tags: 'set' } },
      replicator: { concurrency },
      deadLetter: { type: 'file', dir: options.dir },
    });
  const clients = createDynamoClients(configFor('lww', 'bench-peer'), { maxSockets: concurrency * 2 });
  const peerClient = clients[PEER]!;
  const logger = new Logger({ serviceName: 'dynasync-bench', logLevel: 'ERROR' });
  const work = workloads(count, share);
  let tables = 0;

  const runOnce = async (strategy: 'lww' | 'merge', round: number): Promise<MergeVsLwwRun> => {
    tables += 1;
    const table = `bench-merge-${tables}`;
    await createPlainTable(peerClient, table);
    try {
      const workload = work[strategy];
      const limit = pLimit(concurrency);
      await Promise.all(
        workload.peerItems.map((item) =>
          limit(() =>
            peerClient.send(
              new PutItemCommand({ TableName: table, Item: item as PutItemCommandInput['Item'] }),
            ),
          ),
        ),
      );
      const deadLetters = new CountingSink();
      const replicator = createReplicator({
        config: configFor(strategy, table),
        region: SOURCE,
        clients,
        logger,
        deadLetters,
      });
      const totals: Record<string, number> = {};
      const started = performance.now();
      for (const batch of batchesOf(workload.records, batchSize)) {
        const result = await replicator.process(batch, Date.now() + 120_000);
        const counts: BatchCounts = result.counts;
        for (const name of ['applied', 'stale', 'deadLettered', 'unfinished', 'retried'] as const)
          totals[name] = (totals[name] ?? 0) + counts[name];
        totals.conflicts = (totals.conflicts ?? 0) + (counts.conflicts ?? 0);
      }
      const elapsedMs = performance.now() - started;
      totals.deadLetters = deadLetters.count;
      const run = {
        strategy,
        round,
        elapsedMs,
        changesPerSecond: count / (elapsedMs / 1000),
        counts: totals,
      };
      print(
        `  round ${round}${round === 0 ? ' (warm-up)' : ''} ${strategy.padEnd(5)} ${String(Math.round(run.changesPerSecond)).padStart(6)} changes/s  ${JSON.stringify(totals)}`,
      );
      return run;
    } finally {
      await dropTable(peerClient, table);
    }
  };

  const runs: MergeVsLwwRun[] = [];
  const problems: string[] = [];
  const ratios: number[] = [];
  try {
    for (let round = 0; round <= rounds; round += 1) {
      const order: Array<'lww' | 'merge'> = round % 2 === 0 ? ['lww', 'merge'] : ['merge', 'lww'];
      const pair: Record<string, MergeVsLwwRun> = {};
      for (const strategy of order) {
        const run = await runOnce(strategy, round);
        runs.push(run);
        pair[strategy] = run;
        const bad = (run.counts.deadLetters ?? 0) + (run.counts.unfinished ?? 0) + (run.counts.stale ?? 0);
        if (bad > 0 || run.counts.applied !== count)
          problems.push(`round ${round} ${strategy}: ${JSON.stringify(run.counts)}`);
      }
      if (round > 0) ratios.push(pair.merge!.changesPerSecond / pair.lww!.changesPerSecond);
    }
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
  const measured = runs.filter((run) => run.round > 0);
  const median = (values: readonly number[]) => percentile(values, 50) ?? Number.NaN;
  return {
    ratio: median(ratios),
    roundRatios: ratios,
    lwwChangesPerSecond: median(measured.filter((r) => r.strategy === 'lww').map((r) => r.changesPerSecond)),
    mergeChangesPerSecond: median(
      measured.filter((r) => r.strategy === 'merge').map((r) => r.changesPerSecond),
    ),
    runs,
    problems,
    settings: { records: count, concurrentShare: share, rounds, batchSize, concurrency },
  };
};
