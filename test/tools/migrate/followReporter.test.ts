import { describe, expect, it } from 'vitest';
import {
  followReporter,
  formatFollowJson,
  formatFollowLine,
  formatFollowSummary,
} from '../../../tools/migrate/followReporter.js';
import type { StreamSyncStats } from '../../../tools/migrate/MigrateApplier.js';

const stats = (overrides: Partial<StreamSyncStats> = {}): StreamSyncStats => ({
  records: 0,
  puts: 0,
  deletes: 0,
  applied: 0,
  stale: 0,
  failed: 0,
  lastStreamTimeMs: undefined,
  ...overrides,
});

const NOW = 1_800_000_000_000;

describe('migrate --follow output', () => {
  it('formats the compact live line with counts, lag and time followed, under 80 columns', () => {
    const line = formatFollowLine(
      stats({
        records: 1204,
        puts: 1180,
        deletes: 24,
        applied: 1204,
        stale: 3,
        lastStreamTimeMs: NOW - 2_000,
      }),
      65_000,
      NOW,
    );
    expect(line).toBe('sync 1,204 rec | 1,180 put 24 del | 3 stale 0 failed | lag 2s | 1m05s');
    const big = formatFollowLine(
      stats({
        records: 999_999_999,
        puts: 999_999_999,
        deletes: 999_999_999,
        stale: 999_999,
        failed: 999_999,
      }),
      99 * 3_600_000,
      NOW,
    );
    expect(big.length).toBeLessThan(80);
    expect(big).toBe('sync 1B rec | 1B put 1B del | 1M stale 1M failed | lag -- | 99h00m');
  });

  it('formats a JSON line per tick off a terminal', () => {
    expect(JSON.parse(formatFollowJson(stats({ records: 5, failed: 1 }), 30_000, NOW))).toEqual({
      event: 'migrate.follow',
      records: 5,
      puts: 0,
      deletes: 0,
      applied: 0,
      stale: 0,
      failed: 1,
      lagSeconds: null,
      followedMs: 30_000,
    });
  });

  it('summarises the follow on stop: totals, what came since the report, and failures', () => {
    const lines = formatFollowSummary(
      stats({ records: 150, puts: 140, deletes: 10, applied: 148, stale: 2, failed: 2 }),
      stats({ records: 100, failed: 1 }),
      3_725_000,
    );
    expect(lines[0]).toBe(
      'stream sync stopped after 1h02m of follow (checkpoint saved; a new run resumes it)',
    );
    expect(lines[1]).toContain('50 since the report');
    expect(lines[4]).toContain('1 since the report: not ready for cutover');
    expect(formatFollowSummary(stats(), stats(), 0)[4]).toContain('none since the report');
  });

  it('redraws one line on a TTY and clears it on stop; writes JSON lines otherwise (injected clock)', () => {
    let now = NOW;
    const live = stats();
    const ttyOut: string[] = [];
    const tty = followReporter({
      stats: () => live,
      tty: true,
      write: (t) => ttyOut.push(t),
      now: () => now,
    });
    live.records = 7;
    now += 2_000;
    tty.tick();
    expect(ttyOut).toEqual([`\r\u001b[2K${formatFollowLine(live, 2_000, now)}`]);
    const summary = tty.stop();
    expect(ttyOut[1]).toBe('\r\u001b[2K');
    expect(summary[1]).toContain('7 since the report');

    const pipeOut: string[] = [];
    const pipe = followReporter({
      stats: () => live,
      tty: false,
      write: (t) => pipeOut.push(t),
      now: () => now,
    });
    now += 30_000;
    pipe.tick();
    expect(pipeOut).toHaveLength(1);
    expect(pipeOut[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(pipeOut[0]!)).toMatchObject({
      event: 'migrate.follow',
      records: 7,
      followedMs: 30_000,
    });
    pipe.stop();
    expect(pipeOut).toHaveLength(1);
  });
});
