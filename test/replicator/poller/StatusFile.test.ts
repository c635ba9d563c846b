import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunningTotals } from '../../../replicator/poller/_internals/BatchStats.js';
import {
  readStatusFile,
  statusPath,
  toPollerStatus,
  writeStatusFile,
} from '../../../replicator/poller/StatusFile.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-status-'));
  dirs.push(dir);
  return dir;
};

const sample = (nowMs = Date.UTC(2026, 11, 1, 12)) => {
  const totals = new RunningTotals(['us-east-1']);
  totals.add(
    {
      batchItemFailures: [],
      counts: {
        records: 2,
        changes: 2,
        applied: 2,
        stale: 0,
        deadLettered: 0,
        unfinished: 0,
        retried: 0,
        skipped: { echo: 0, ttl: 0, tombstonePurge: 0, coalesced: 0, noPeers: 0 },
      },
      lagMs: 60_000,
      peers: { 'us-east-1': { applied: 2, stale: 0, newestAppliedVersionMs: nowMs - 40 } },
    },
    nowMs,
  );
  return toPollerStatus({
    region: 'eu-west-1',
    state: 'running',
    startedAtMs: nowMs - 5_000,
    nowMs,
    statsIntervalMs: 10_000,
    coarseStreamTimes: true,
    totals: totals.snapshot(),
  });
};

describe('status file', () => {
  it('lives next to the checkpoints as status-<region>.json', () => {
    expect(statusPath({ replicator: { checkpointDir: '/var/ds' } } as never, 'eu-west-1')).toBe(
      '/var/ds/status-eu-west-1.json',
    );
  });

  it('holds totals, per-peer times and the version-time lag, as ISO times', () => {
    const status = sample();
    expect(status).toMatchObject({
      format: 1,
      region: 'eu-west-1',
      state: 'running',
      updatedAt: '2026-12-01T12:00:00.000Z',
      startedAt: '2026-12-01T11:59:55.000Z',
      totals: { applied: 2, records: 2 },
      peers: { 'us-east-1': { applied: 2, stale: 0, lastAppliedVersionAt: '2026-12-01T11:59:59.960Z' } },
      lastAppliedVersionAt: '2026-12-01T11:59:59.960Z',
      versionLagMs: 40,
      streamLagMs: 60_000,
      coarseStreamTimes: true,
    });
  });

  it('is written atomically with mode 0600, leaves no temporary file, and reads back equal', async () => {
    // Prepare
    const dir = await tempDir();
    const path = join(dir, 'nested', 'status-eu-west-1.json');
    const status = sample();

    // Act
    await writeStatusFile(path, status);
    await writeStatusFile(path, { ...status, state: 'stopped' });

    // Assess
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, 'nested'))).toStrictEqual(['status-eu-west-1.json']);
    expect(await readStatusFile(path)).toStrictEqual({ ...status, state: 'stopped' });
  });

  it('reads a missing file as undefined', async () => {
    expect(await readStatusFile(join(await tempDir(), 'none.json'))).toBeUndefined();
  });

  it.each([
    ['not JSON', '{'],
    ['not a status', '{"format":1,"region":"eu-west-1"}'],
  ])('rejects %s with poller.statusCorrupt', async (_name, text) => {
    const path = join(await tempDir(), 'status-eu-west-1.json');
    await writeFile(path, text);
    await expect(readStatusFile(path)).rejects.toMatchObject({
      code: 'poller.statusCorrupt',
      payload: { path },
    });
  });
});
