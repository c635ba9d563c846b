import { describe, expect, it } from 'vitest';
import { formatEta, MAX_PROGRESS_COLUMNS, renderProgressLine } from '../../../tools/_shared/progressBar.js';

const template = 'backfill [{bar}] {percentage}% {value}/{total} | {speed}/s | {eta} | {phase}';

describe('formatEta', () => {
  it('shows "ETA --" while cli-progress has no estimate (NaN, Infinity, undefined, negative), never NFs or LLs', () => {
    for (const unknown of [Number.NaN, Number.POSITIVE_INFINITY, undefined, -1])
      expect(formatEta(unknown)).toBe('ETA --');
  });

  it('shows seconds, minutes and seconds, hours and minutes', () => {
    expect(formatEta(0)).toBe('ETA 0s');
    expect(formatEta(42.4)).toBe('ETA 42s');
    expect(formatEta(187)).toBe('ETA 3m07s');
    expect(formatEta(12 * 3600 + 5 * 60)).toBe('ETA 12h05m');
  });

  it('caps at ">99h" from 100 hours on', () => {
    expect(formatEta(99 * 3600 + 59 * 60)).toBe('ETA 99h59m');
    expect(formatEta(100 * 3600)).toBe('ETA >99h');
    expect(formatEta(1e12)).toBe('ETA >99h');
  });
});

describe('renderProgressLine', () => {
  it('fits 80 columns (79 drawn) with a long phase label, truncating the label with "…"', () => {
    const line = renderProgressLine(
      template,
      {
        value: 123_456_789,
        total: 987_654_321,
        eta: 4000,
        payload: {
          speed: 25_000,
          phase: 'round 3: 1234567 keys differ, re-reading in 30 s and then some more',
        },
      },
      200,
    );
    expect(line.length).toBe(MAX_PROGRESS_COLUMNS - 1);
    expect(line.endsWith('…')).toBe(true);
    expect(line.startsWith('backfill [')).toBe(true);
  });

  it('fits a narrower terminal, and never draws a bar under 10 columns', () => {
    const line = renderProgressLine(
      template,
      { value: 5, total: 10, eta: 3, payload: { speed: 1, phase: 'writing' } },
      60,
    );
    expect(line.length).toBeLessThanOrEqual(59);
    expect(line).toMatch(/\[[█░]{10,}\]/);
  });

  it('gives the bar the room a short line leaves, at most 30 columns, and fills it by the ratio', () => {
    const line = renderProgressLine('[{bar}] {percentage}%', { value: 1, total: 2, eta: 1, payload: {} }, 80);
    expect(line).toBe(`[${'█'.repeat(15)}${'░'.repeat(15)}] 50%`);
  });

  it('replaces {eta} by the custom formatter: unknown is "ETA --"', () => {
    const line = renderProgressLine(template, {
      value: 0,
      total: 0,
      eta: Number.NaN,
      payload: { speed: 0, phase: 'scanning' },
    });
    expect(line).toContain('| ETA -- |');
    expect(line).not.toMatch(/NF|LL|NaN|Infinity/);
    expect(line).toContain(' 0% 0/0 ');
  });
});
