import { describe, expect, it } from 'vitest';
import { DynasyncError, ErrorCodes } from '../../../core/errors.js';
import {
  chooseRate,
  demoLegend,
  failedWriteReason,
  formatFailedWrites,
  isSaturated,
  saturationWarning,
} from '../../../tools/demo/pacing.js';

describe('chooseRate', () => {
  it('takes the default fraction of the measured capacity, split over the requests per write', () => {
    expect(chooseRate({ capacityPutsPerSecond: 780 })).toBe(195);
    expect(chooseRate({ capacityPutsPerSecond: 780, requestsPerWrite: 2 })).toBe(97);
    // The slow 2-core machine of issue 14: 161 puts/s with both instances busy.
    expect(chooseRate({ capacityPutsPerSecond: 161, requestsPerWrite: 2 })).toBe(20);
  });

  it('honours an explicit fraction and clamps to min and max', () => {
    expect(chooseRate({ capacityPutsPerSecond: 800, fraction: 0.5 })).toBe(400);
    expect(chooseRate({ capacityPutsPerSecond: 10, requestsPerWrite: 2 })).toBe(5);
    expect(chooseRate({ capacityPutsPerSecond: 100_000, max: 300 })).toBe(300);
  });

  it('falls back to the minimum when the capacity was not measured', () => {
    expect(chooseRate({ capacityPutsPerSecond: Number.NaN })).toBe(5);
    expect(chooseRate({ capacityPutsPerSecond: 0, min: 7 })).toBe(7);
    expect(chooseRate({ capacityPutsPerSecond: Number.POSITIVE_INFINITY })).toBe(5);
  });
});

describe('isSaturated', () => {
  it('holds when the lag grows second after second above the floor (issue 14: 16–30 s, growing)', () => {
    expect(isSaturated([300, 900, 1_600, 2_400, 3_100])).toBe(true);
    expect(isSaturated([16_000, 19_000, 22_500, 26_000, 30_000])).toBe(true);
  });

  it('does not hold for a healthy flat lag, a spike that recovers, or a high lag that is shrinking', () => {
    expect(isSaturated([120, 140, 110, 150, 130])).toBe(false);
    expect(isSaturated([300, 2_500, 400, 300, 250])).toBe(false);
    expect(isSaturated([9_000, 7_000, 5_000, 3_000, 1_500])).toBe(false);
  });

  it('does not hold for growth that stays under the floor, or before a full window', () => {
    expect(isSaturated([100, 250, 400, 550, 700])).toBe(false);
    expect(isSaturated([1_000, 3_000, 6_000])).toBe(false);
  });

  it('looks only at the latest window', () => {
    expect(isSaturated([50_000, 40_000, 30_000, 1_000, 1_500, 2_000, 2_500, 3_000])).toBe(true);
  });

  it('is not hidden by seconds without an applied change (demo at --rate 200: lag 11 s → 28 s with gaps)', () => {
    const gap = Number.NaN;
    expect(isSaturated([11_268, 12_368, gap, 15_923, gap, gap, gap, 20_998, gap, gap, gap, 28_091])).toBe(
      true,
    );
    expect(isSaturated([1_000, gap, 2_000, gap, 3_000])).toBe(false); // only three samples yet
  });
});

describe('failedWriteReason', () => {
  it('names the dynasync code of a DynasyncError', () => {
    const error = new DynasyncError(ErrorCodes.demo.localDynamoMissing, 'secret item value in message');
    expect(failedWriteReason(error)).toBe(ErrorCodes.demo.localDynamoMissing);
  });

  it('names an AWS error by its name and HTTP status, never by its message', () => {
    const error = Object.assign(new Error('item {"pk":"alice"} rejected'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(failedWriteReason(error)).toBe('ThrottlingException (HTTP 400)');
    expect(failedWriteReason(error)).not.toContain('alice');
  });

  it('names socket errors by their code and anything else by its type', () => {
    expect(failedWriteReason(Object.assign(new Error('connect'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(failedWriteReason(Object.assign(new Error('slow'), { name: 'TimeoutError' }))).toBe(
      'TimeoutError',
    );
    expect(failedWriteReason('boom')).toBe('string');
    expect(failedWriteReason(null)).toBe('object');
  });
});

describe('formatFailedWrites', () => {
  it('gives the total and each reason, most frequent first', () => {
    const reasons = new Map([
      ['ThrottlingException (HTTP 400)', 61],
      ['TimeoutError', 1_200],
    ]);
    expect(formatFailedWrites(reasons)).toBe(
      '1261 failed: 1200 TimeoutError, 61 ThrottlingException (HTTP 400)',
    );
    expect(formatFailedWrites(new Map())).toBe('0 failed');
  });
});

describe('legend and saturation line', () => {
  it('explains stale and lag and says what healthy looks like', () => {
    const legend = demoLegend().join('\n');
    expect(legend).toMatch(/stale/);
    expect(legend).toMatch(/lag p50\/p99/);
    expect(legend).toMatch(/healthy/);
  });

  it('names the rate and the measured capacity', () => {
    expect(saturationWarning(100, 161.4)).toMatch(
      /SATURATED.*100 writes\/s per region.*161 conditional puts\/s/,
    );
    expect(saturationWarning(100, undefined)).not.toMatch(/measured/);
  });
});
