import { describe, expect, it } from 'vitest';
import { deriveReport } from '../../../tools/status/deriveHealth.js';
import { formatStatus } from '../../../tools/status/formatStatus.js';
import { NOW, pollerStatus, readings } from './fixtures.js';

describe('formatStatus', () => {
  it('prints one block per region with lag, totals, peers, dead letters, checkpoint age and problems', () => {
    const report = deriveReport(
      [readings({ deadLetters: { source: 'file', path: '/ds/dl.jsonl', waiting: 2, unreadableLines: 1 } })],
      { maxLagMs: 60_000 },
      NOW,
    );
    expect(formatStatus(report).split('\n')).toStrictEqual([
      'dynasync status at 2026-12-01T12:00:00.000Z: UNHEALTHY (lag limit 1m 00s)',
      '',
      'eu-west-1  UNHEALTHY  (dynasync run, running, status written 2.0s ago)',
      '  last applied version  2026-12-01T11:59:56.920Z (3.1s ago)',
      '  lag                   80ms',
      '  totals                applied 5 · stale 1 · dead-lettered 0 · unfinished 0',
      '  → us-east-1           applied 5 · stale 1 · last applied version 2026-12-01T11:59:56.920Z (3.1s ago)',
      '  dead letters waiting  2 in /ds/dl.jsonl (+1 unreadable lines)',
      '  checkpoint age        3.0s',
      '  ! 2 dead letter(s) waiting: look at them, then `dynasync redrive -r eu-west-1` (status.deadLettersWaiting)',
      '',
    ]);
  });

  it('marks a stream-time lag from a local endpoint as coarse, and shows the iterator age of a function', () => {
    const report = deriveReport(
      [
        readings({
          status: pollerStatus({ versionLagMs: undefined, streamLagMs: 60_000, coarseStreamTimes: true }),
          functionName: 'dynasync-fn',
          iteratorAgeMs: 1_500,
        }),
      ],
      { maxLagMs: 60_000 },
      NOW,
    );
    const text = formatStatus(report);
    expect(text).toContain('  lag                   ≈1m 00s (coarse)\n');
    expect(text).toContain('  iterator age          1.5s\n');
    expect(text).toMatch(/DynamoDB Local rounds to whole minutes/);
  });
});
