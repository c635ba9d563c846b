import { DynasyncError, ErrorCodes } from '../core/errors.js';

/**
 * A vector clock: one event counter per region, as exact decimal integer strings (never JS `number`).
 * A region absent from the map has counter 0.
 */
export type VectorClock = Readonly<Record<string, string>>;

/** How two vector clocks relate. */
export const ClockOrders = {
  /** `a` happened before `b`: every counter of `a` ≤ `b`'s, one strictly. */
  before: 'before',
  /** `a` happened after `b`. */
  after: 'after',
  /** The same clock. */
  equal: 'equal',
  /** Neither saw the other: concurrent writes. */
  concurrent: 'concurrent',
} as const;
export type ClockOrder = (typeof ClockOrders)[keyof typeof ClockOrders];

const REGION = /^[a-z0-9][a-z0-9-]{0,62}$/;
const COUNTER = /^(0|[1-9]\d{0,37})$/;

const counter = (clock: VectorClock, region: string): bigint => BigInt(clock[region] ?? '0');

/**
 * Compares two clocks.
 *
 * ```
 * a {eu:2, us:1}  b {eu:2, us:3}  → before      a {eu:3, us:1}  b {eu:2, us:3}  → concurrent
 * ```
 */
export const compareClocks = (a: VectorClock, b: VectorClock): ClockOrder => {
  let less = false;
  let greater = false;
  for (const region of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const left = counter(a, region);
    const right = counter(b, region);
    if (left < right) less = true;
    else if (left > right) greater = true;
  }
  if (less && greater) return ClockOrders.concurrent;
  if (less) return ClockOrders.before;
  if (greater) return ClockOrders.after;
  return ClockOrders.equal;
};

/** The least clock that has seen both: the pointwise maximum. Zero counters are dropped. */
export const joinClocks = (a: VectorClock, b: VectorClock): VectorClock => {
  const joined: Record<string, string> = {};
  for (const region of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const left = counter(a, region);
    const right = counter(b, region);
    // biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigints
    const value = left < right ? right : left;
    if (value > 0n) joined[region] = String(value);
  }
  return joined;
};

/** The clock of a new event in `region`: its counter plus one. */
export const incrementClock = (clock: VectorClock, region: string): VectorClock =>
  normalizeClock({ ...clock, [region]: String(counter(clock, region) + 1n) });

/** True when the event `region:n` (a "dot") is already included in `clock`. */
export const clockCovers = (clock: VectorClock, region: string, n: string): boolean =>
  counter(clock, region) >= BigInt(n);

/** The same clock with regions sorted and zero counters dropped. */
export const normalizeClock = (clock: VectorClock): VectorClock => joinClocks(clock, {});

/**
 * Encodes a clock as canonical text, `eu-west-1:3,us-east-1:12` (regions sorted, zeros dropped), so that
 * equal clocks have equal text and one DynamoDB condition (`#vc = :old`) can check "unchanged".
 */
export const encodeClock = (clock: VectorClock): string =>
  Object.entries(normalizeClock(clock))
    .map(([region, n]) => `${region}:${n}`)
    .join(',');

/** Decodes {@link encodeClock}'s text; `undefined` when it is not one. */
export const tryDecodeClock = (text: string): VectorClock | undefined => {
  if (text === '') return {};
  const clock: Record<string, string> = {};
  for (const part of text.split(',')) {
    const [region, n, extra] = part.split(':');
    if (extra !== undefined || region === undefined || n === undefined) return undefined;
    if (!REGION.test(region) || !COUNTER.test(n) || clock[region] !== undefined) return undefined;
    clock[region] = n;
  }
  return normalizeClock(clock);
};

/**
 * Decodes a clock.
 * @throws DynasyncError `conflict.invalidVersion` naming the text's shape.
 */
export const decodeClock = (text: string): VectorClock => {
  const clock = tryDecodeClock(text);
  if (clock === undefined)
    throw new DynasyncError(
      ErrorCodes.conflict.invalidVersion,
      `"${text}" is not a dynasync vector clock (expected "region:counter,region:counter", regions sorted)`,
    );
  return clock;
};
