/**
 * Handler duration and write units per change, measured locally: `replicator.process` against one
 * DynamoDB Local for `--batches` batches of `--size` uniform-key records (one change each) shipped to
 * one peer. Prints JSON: ms per batch (median, p90), ms per change, and the peer item's size with
 * replication metadata and its write units. Used for docs/cost.md.
 *
 * ```
 * npx tsx bench/costPerChange.ts --batches 30 --size 100
 * ```
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { parseConfig } from '../core/config/loadConfig.js';
import { itemSize } from '../core/itemSize.js';
import { createDynamoClients } from '../replicator/clients.js';
import { createReplicator } from '../replicator/createReplicator.js';
import type { DeadLetter, DeadLetterSink } from '../replicator/deadLetter/types.js';
import { startLocalDynamo } from '../tools/localDynamo.js';
import { percentile } from '../tools/percentile.js';
import { createPlainTable } from './_internals/tables.js';
import { batchesOf, syntheticStream } from './records.js';

const SOURCE = 'eu-west-1';
const PEER = 'us-east-1';

class CountingSink implements DeadLetterSink {
  public count = 0;
  public async send(entries: readonly DeadLetter[]): Promise<void> {
    this.count += entries.length;
  }
}

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '30' },
    size: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '10' },
  },
});
const batches = Number(values.batches);
const size = Number(values.size);
const warmup = Number(values.warmup);

const dynamo = await startLocalDynamo();
const dir = mkdtempSync(join(tmpdir(), 'dynasync-cost-'));
try {
  const config = parseConfig({
    version: 1,
    name: 'cost',
    regions: {
      [SOURCE]: { table: 'cost-source', endpoint: dynamo.endpoint },
      [PEER]: { table: 'cost-peer', endpoint: dynamo.endpoint },
    },
    topology: { type: 'one-way', from: SOURCE, to: [PEER] },
    deadLetter: { type: 'file', dir },
  });
  const clients = createDynamoClients(config, { maxSockets: config.replicator.concurrency * 2 });
  await createPlainTable(clients[PEER]!, 'cost-peer');
  const deadLetters = new CountingSink();
  const replicator = createReplicator({
    config,
    region: SOURCE,
    clients,
    deadLetters,
    logger: new Logger({ serviceName: 'dynasync-cost', logLevel: 'ERROR' }),
  });
  const stream = syntheticStream({ count: (warmup + batches) * size, keys: { type: 'uniform' }, seed: 7 });
  const all = batchesOf(stream.records, size);
  const durations: number[] = [];
  let changes = 0;
  let applied = 0;
  for (const [index, batch] of all.entries()) {
    const started = performance.now();
    const result = await replicator.process(batch, Date.now() + 60_000);
    const ms = performance.now() - started;
    if (index < warmup) continue;
    durations.push(ms);
    changes += result.counts.changes;
    applied += result.counts.applied;
  }
  const total = durations.reduce((sum, ms) => sum + ms, 0);
  const sizes = stream.changes.map((change) => itemSize(change.peerItem));
  const meanBytes = sizes.reduce((sum, bytes) => sum + bytes, 0) / sizes.length;
  const round = (value: number, digits = 2) => Number(value.toFixed(digits));
  console.log(
    JSON.stringify(
      {
        measured: 'locally: one DynamoDB Local (JVM) on this machine, loopback, no TLS',
        batches: durations.length,
        recordsPerBatch: size,
        peers: 1,
        changes,
        applied,
        deadLettered: deadLetters.count,
        msPerBatch: { median: round(percentile(durations, 50)!), p90: round(percentile(durations, 90)!) },
        msPerChange: round(total / changes, 3),
        peerItemBytes: { mean: Math.round(meanBytes), max: Math.max(...sizes) },
        wcuPerChangePerPeer: Math.max(...sizes.map((bytes) => Math.ceil(bytes / 1024))),
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await dynamo.stop();
}
