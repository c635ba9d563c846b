import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeVersion } from '../../../conflict/version.js';
import { BackfillExitCodes, runBackfillCommand } from '../../../tools/backfill/command.js';
import type { BackfillReport } from '../../../tools/backfill/types.js';
import { batchPut } from '../verify/verifyHarness.js';
import { type BackfillPair, backfillPair, plainItems, SOURCE, TARGET } from './backfillHarness.js';

const pairs: BackfillPair[] = [];
afterEach(async () => {
  for (const pair of pairs.splice(0)) await pair.cleanup();
});

/** A stderr stand-in that records what is written; `isTTY` decides whether a bar appears. */
const stream = (isTTY: boolean) => {
  let text = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return Object.assign(sink, { isTTY, text: () => text });
};

describe('dynasync backfill (command)', () => {
  it('prints the summary table, no bar off a terminal, and exits 0 when complete', async () => {
    const pair = await backfillPair();
    pairs.push(pair);
    await batchPut(pair.source, pair.sourceTable, plainItems(40));
    const lines: string[] = [];
    const progress = stream(false);
    const code = await runBackfillCommand(
      { config: pair.configFile, from: SOURCE, to: TARGET, targetIdle: true },
      { print: (text) => lines.push(text), progressStream: progress },
    );
    expect(code).toBe(BackfillExitCodes.complete);
    expect(progress.text()).toBe('');
    const text = lines.join('\n');
    expect(text).toContain('COMPLETE');
    expect(text).toContain('fast path: BatchWriteItem');
    expect(text).not.toContain('item 7'); // never values
    expect(lines[0]).toMatch(
      /^backfill will consume about [\d.]+ read units and \d+ write units \(source: 40 items, \d+ bytes/,
    );
  });

  it('--json on a terminal: a progress bar on stderr, the report on stdout, exit 1 when items were skipped', async () => {
    // Active-active: an unstamped source item cannot be copied safely (the replicator rejects it too).
    const pair = await backfillPair({ topology: 'active-active' });
    pairs.push(pair);
    const stamped = plainItems(30).map((item, i) => ({
      ...item,
      _ds_v: { S: encodeVersion({ physicalMs: 1_700_000_000_000 + i, logical: 0, origin: SOURCE }) },
    }));
    await batchPut(pair.source, pair.sourceTable, [...stamped, ...plainItems(2, 100)]);
    const lines: string[] = [];
    const progress = stream(true);
    const code = await runBackfillCommand(
      { config: pair.configFile, from: SOURCE, to: TARGET, json: true },
      { print: (text) => lines.push(text), progressStream: progress },
    );
    const report = JSON.parse(lines.join('\n')) as BackfillReport;
    expect(code).toBe(BackfillExitCodes.incomplete);
    expect(report).toMatchObject({
      complete: false,
      written: 30,
      skipped: 2,
      skipCodes: { 'verify.unstampedSource': 2 },
    });
    expect(progress.text()).toContain('backfill [');
    const { estimate } = report as BackfillReport & { estimate: { itemCount: number; writeUnits: number } };
    expect(estimate.itemCount).toBe(32);
    expect(estimate.writeUnits).toBeGreaterThanOrEqual(32);
  });
});
