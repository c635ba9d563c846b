/**
 * A small, fast, seeded pseudo-random generator (mulberry32, 2^32 states): the same seed gives the
 * same sequence, so a workload, a fault pattern or a benchmark run can be replayed.
 * @returns a function giving numbers in [0, 1).
 */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};
