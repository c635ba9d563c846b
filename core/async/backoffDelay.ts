/**
 * Full-jitter exponential backoff: a random delay in `[0, min(max, base · 2^attempt))`.
 * @param attempt 0 for the first retry.
 * @example
 * backoffDelay(3, 25, 2_000) // somewhere in [0, 200)
 */
export const backoffDelay = (
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number => Math.floor(random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)));
