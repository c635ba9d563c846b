import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/index.js';
import { writeStatusFile } from '../../../replicator/poller/StatusFile.js';
import { parseFunctionNames } from '../../../tools/status/command.js';
import { runStatus, StatusExitCodes, statusRegions } from '../../../tools/status/runStatus.js';
import type { StatusReport } from '../../../tools/status/types.js';
import { iso, NOW, pollerStatus } from './fixtures.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const setup = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-status-'));
  dirs.push(dir);
  const config = parseConfig({
    version: 1,
    name: 't',
    regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders' } },
    topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
    replicator: { checkpointDir: join(dir, 'cp') },
    deadLetter: { type: 'file', dir: join(dir, 'dl') },
  });
  await writeStatusFile(join(dir, 'cp', 'status-eu-west-1.json'), pollerStatus());
  return { dir, config };
};

describe('runStatus', () => {
  it('prints the JSON report of the regions that ship and exits 0 when healthy', async () => {
    // Prepare
    const { config } = await setup();
    const out: string[] = [];

    // Act
    const code = await runStatus(
      { config, maxLagMs: 60_000, json: true },
      { print: (t) => out.push(t), now: () => NOW },
    );

    // Assess
    expect(code).toBe(StatusExitCodes.healthy);
    const report = JSON.parse(out.join('')) as StatusReport;
    expect(report.regions.map((r) => r.region)).toStrictEqual(['eu-west-1']);
    expect(report.regions[0]).toMatchObject({ healthy: true, totals: { applied: 5 }, lagMs: 80 });
  });

  it('exits 1 when a dead letter waits', async () => {
    const { dir, config } = await setup();
    await mkdir(join(dir, 'dl'));
    await writeFile(
      join(dir, 'dl', 'dead-letter-eu-west-1.jsonl'),
      `${JSON.stringify({ id: 'a', kind: 'streamRecord', record: {} })}\n`,
    );
    const code = await runStatus({ config, maxLagMs: 60_000 }, { print: () => undefined, now: () => NOW });
    expect(code).toBe(StatusExitCodes.unhealthy);
  });

  it('with --watch, refreshes after each interval until the signal, and returns the last round', async () => {
    // Prepare: the clock moves 20 s per wait; in the third round the status file is 42 s old (stale).
    const { config } = await setup();
    const out: string[] = [];
    let now = NOW;
    const controller = new AbortController();
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
      now += 20_000;
      if (slept.length === 3) controller.abort(); // Ctrl-C during the third wait: no fourth round
    };

    // Act
    const code = await runStatus(
      { config, maxLagMs: 60_000, json: true, watchIntervalMs: 5_000 },
      { print: (t) => out.push(t), now: () => now, sleep, signal: controller.signal },
    );

    // Assess
    expect(slept).toStrictEqual([5_000, 5_000, 5_000]);
    const rounds = out.map((line) => JSON.parse(line) as StatusReport);
    expect(rounds.map((r) => r.healthy)).toStrictEqual([true, true, false]);
    expect(rounds.map((r) => r.checkedAt)).toStrictEqual([iso(NOW), iso(NOW + 20_000), iso(NOW + 40_000)]);
    expect(code).toBe(StatusExitCodes.unhealthy);
  });

  it('rejects an unknown --region with config.invalidField', async () => {
    const { config } = await setup();
    expect(() => statusRegions(config, ['mars-1'])).toThrow(
      expect.objectContaining({ code: 'config.invalidField' }),
    );
  });
});

describe('parseFunctionNames', () => {
  it('takes region=name pairs, or a bare name with one region', () => {
    expect(
      parseFunctionNames(['eu-west-1=fn-a', 'us-east-1=fn-b'], ['eu-west-1', 'us-east-1']),
    ).toStrictEqual({
      'eu-west-1': 'fn-a',
      'us-east-1': 'fn-b',
    });
    expect(parseFunctionNames(['fn'], ['eu-west-1'])).toStrictEqual({ 'eu-west-1': 'fn' });
    expect(parseFunctionNames(undefined, ['eu-west-1'])).toStrictEqual({});
  });

  it('rejects a bare name with several regions, or an unknown region, with config.invalidField', () => {
    expect(() => parseFunctionNames(['fn'], ['a', 'b'])).toThrow(
      expect.objectContaining({ code: 'config.invalidField' }),
    );
    expect(() => parseFunctionNames(['c=fn'], ['a'])).toThrow(
      expect.objectContaining({ code: 'config.invalidField' }),
    );
  });
});
