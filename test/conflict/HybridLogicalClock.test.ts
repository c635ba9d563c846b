import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HybridLogicalClock } from '../../conflict/HybridLogicalClock.js';
import { compareVersions, encodeVersion, MAX_LOGICAL, type Version } from '../../conflict/version.js';
import { version } from '../helpers/arbitraries.js';
import { assertStrictlyIncreasing, checkProperty } from '../helpers/laws.js';

/** A wall clock that plays back the given readings, repeating the last one. */
const playback = (readings: readonly number[]): (() => number) => {
  let index = 0;
  return () => readings[Math.min(index++, readings.length - 1)] ?? 0;
};

const START = 1_700_000_000_000;

/** Wall-clock readings that jump forward, stall and go backwards. */
const erraticWall = fc
  .array(fc.oneof(fc.constant(0), fc.integer({ min: -5_000, max: 5_000 }), fc.integer({ min: -3, max: 3 })), {
    minLength: 1,
    maxLength: 60,
  })
  .map((steps) => {
    let wall = START;
    return steps.map((step) => {
      wall = Math.max(0, wall + step);
      return wall;
    });
  });

describe('HybridLogicalClock', () => {
  it('follows the wall clock while it moves forward', () => {
    const clock = new HybridLogicalClock('eu-west-1', playback([1000, 1005]));

    expect(clock.now()).toStrictEqual({ physicalMs: 1000, logical: 0, origin: 'eu-west-1' });
    expect(clock.now()).toStrictEqual({ physicalMs: 1005, logical: 0, origin: 'eu-west-1' });
  });

  it('counts on when the wall clock stalls or steps back', () => {
    const clock = new HybridLogicalClock('eu', playback([1000, 1000, 999, 1001]));

    expect([clock.now(), clock.now(), clock.now(), clock.now()].map(encodeVersion)).toStrictEqual([
      '000000000001000.000000.eu',
      '000000000001000.000001.eu',
      '000000000001000.000002.eu',
      '000000000001001.000000.eu',
    ]);
  });

  it('moves to the next millisecond rather than overflow the logical counter', () => {
    const clock = new HybridLogicalClock('eu', playback([1000]));
    clock.receive({ physicalMs: 1000, logical: MAX_LOGICAL, origin: 'us' });

    expect(clock.now()).toStrictEqual({ physicalMs: 1001, logical: 0, origin: 'eu' });
  });

  it('law: now() is strictly increasing even when the wall clock stalls or goes backwards', () => {
    checkProperty(
      fc.property(erraticWall, (readings) => {
        const clock = new HybridLogicalClock('eu-west-1', playback(readings));

        const versions = readings.map(() => clock.now());

        assertStrictlyIncreasing(versions, compareVersions);
        assertStrictlyIncreasing(versions.map(encodeVersion), (a, b) => (a < b ? -1 : a > b ? 1 : 0));
      }),
    );
  });

  it('law: after receive(v), the next now() is newer than v', () => {
    const event = fc.oneof(
      fc.constant<{ type: 'now' }>({ type: 'now' }),
      version().map((seen) => ({ type: 'receive' as const, seen })),
      fc
        .record({
          dMs: fc.integer({ min: -10, max: 10 }),
          logical: fc.integer({ min: 0, max: MAX_LOGICAL }),
          origin: fc.constantFrom('a', 'us', 'zz'),
        })
        .map(({ dMs, logical, origin }) => ({
          type: 'receive' as const,
          seen: { physicalMs: START + dMs, logical, origin },
        })),
    );
    checkProperty(
      fc.property(erraticWall, fc.array(event, { maxLength: 40 }), (readings, events) => {
        fc.pre(events.every((e) => e.type === 'now' || e.seen.physicalMs < 999_999_999_999_000));
        const clock = new HybridLogicalClock('eu', playback(readings));
        let newest: Version | undefined;

        for (const e of events) {
          if (e.type === 'receive') {
            clock.receive(e.seen);
            if (newest === undefined || compareVersions(e.seen, newest) > 0) newest = e.seen;
            continue;
          }
          const issued = clock.now();
          if (newest !== undefined) expect(compareVersions(issued, newest)).toBeGreaterThan(0);
          newest = issued;
        }
      }),
      200,
    );
  });

  it('uses Date.now by default', () => {
    const before = Date.now();

    const v = new HybridLogicalClock('eu').now();

    expect(v.physicalMs).toBeGreaterThanOrEqual(before);
    expect(v.physicalMs).toBeLessThanOrEqual(Date.now());
  });
});
