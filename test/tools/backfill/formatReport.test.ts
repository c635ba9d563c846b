import { describe, expect, it } from 'vitest';
import { painter } from '../../../tools/_shared/colour.js';
import { formatBackfillReport } from '../../../tools/backfill/formatReport.js';
import { type BackfillReport, PathReasons, WritePaths } from '../../../tools/backfill/types.js';

const report = (overrides: Partial<BackfillReport> = {}): BackfillReport => ({
  from: 'eu-west-1',
  to: 'us-east-1',
  tables: { source: 'orders', target: 'orders' },
  complete: true,
  path: { chosen: WritePaths.conditional, reason: Object.values(PathReasons)[0]! },
  scanned: 10,
  written: 10,
  stale: 0,
  skipped: 0,
  skipCodes: {},
  failed: 0,
  pages: 1,
  resume: { resumed: false, itemsBefore: 0, segmentsDoneBefore: 0, checkpoint: null },
  consumedCapacity: { read: 1, write: 10, estimated: false },
  throttles: 0,
  minConcurrency: 32,
  settings: { segments: 4, concurrency: 32, maxRps: null, maxWps: null, topology: 'one-way' },
  durationMs: 1000,
  itemsPerSecond: 10,
  ...overrides,
});

const ESC = '\u001b[';

describe('formatBackfillReport colour', () => {
  it('prints no escape code without a painter (the --json, piped and NO_COLOR case)', () => {
    const lines = formatBackfillReport(report({ complete: false, failed: 2 }));
    expect(lines.join('\n')).not.toContain(ESC);
  });

  it('colours COMPLETE green', () => {
    const lines = formatBackfillReport(report(), painter(true));
    expect(lines.find((line) => line.includes('result'))).toContain(`${ESC}32mCOMPLETE${ESC}39m`);
    expect(lines.filter((line) => line.includes(ESC))).toHaveLength(1);
  });

  it('colours INCOMPLETE red and non-zero skipped, failed and throttles yellow', () => {
    const lines = formatBackfillReport(
      report({ complete: false, skipped: 1, failed: 2, throttles: 3 }),
      painter(true),
    );
    expect(lines.find((line) => line.includes('result'))).toContain(`${ESC}31mINCOMPLETE`);
    for (const label of ['skipped', 'failed', 'throttling'])
      expect(lines.find((line) => line.trimStart().startsWith(label))).toContain(`${ESC}33m`);
    expect(lines.find((line) => line.trimStart().startsWith('stale'))).not.toContain(ESC);
  });
});
