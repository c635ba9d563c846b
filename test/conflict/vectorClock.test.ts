import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ClockOrders,
  compareClocks,
  decodeClock,
  encodeClock,
  incrementClock,
  joinClocks,
  type VectorClock,
} from '../../conflict/vectorClock.js';
import {
  assertAssociative,
  assertCommutative,
  assertIdempotentMerge,
  assertRoundTrip,
  checkProperty,
  dynasyncErrorOf,
} from '../helpers/laws.js';

const clock = (): fc.Arbitrary<VectorClock> =>
  fc
    .dictionary(
      fc.constantFrom('eu-west-1', 'us-east-1', 'ap-south-1'),
      fc.bigInt({ min: 1n, max: 10n ** 30n }).map(String),
    )
    .map((c) => joinClocks(c, {}));
const three = fc.tuple(clock(), clock(), clock());

describe('vector clocks', () => {
  it('compares: before, after, equal, concurrent', () => {
    expect(compareClocks({ eu: '1' }, { eu: '2' })).toBe(ClockOrders.before);
    expect(compareClocks({ eu: '2', us: '1' }, { eu: '2' })).toBe(ClockOrders.after);
    expect(compareClocks({ eu: '2' }, { eu: '2' })).toBe(ClockOrders.equal);
    expect(compareClocks({ eu: '3', us: '1' }, { eu: '2', us: '3' })).toBe(ClockOrders.concurrent);
  });

  it('counts past 2^53 exactly', () => {
    expect(incrementClock({ eu: '9007199254740993' }, 'eu')).toEqual({ eu: '9007199254740994' });
  });

  it('law: join is commutative, associative and idempotent', () => {
    assertCommutative(three, joinClocks);
    assertAssociative(three, joinClocks);
    assertIdempotentMerge(three, joinClocks);
  });

  it('law: the join is after-or-equal both sides; an increment is strictly after', () => {
    checkProperty(
      fc.property(clock(), clock(), (a, b) => {
        const j = joinClocks(a, b);
        expect([ClockOrders.after, ClockOrders.equal]).toContain(compareClocks(j, a));
        expect([ClockOrders.after, ClockOrders.equal]).toContain(compareClocks(j, b));
        expect(compareClocks(incrementClock(a, 'eu-west-1'), a)).toBe(ClockOrders.after);
      }),
    );
  });

  it('law: encode/decode round-trips; equal clocks have equal text', () => {
    assertRoundTrip(clock(), encodeClock, decodeClock);
    expect(encodeClock({ us: '2', eu: '1', ap: '0' })).toBe('eu:1,us:2');
  });

  it('rejects malformed clock text with conflict.invalidVersion', () => {
    for (const text of ['eu', 'eu:01', 'eu:1,eu:2', 'EU:1', 'eu:-1'])
      expect(dynasyncErrorOf(() => decodeClock(text)).code).toBe('conflict.invalidVersion');
  });
});
