/**
 * Pure decisions of the local demo and the lag benchmark: how fast to write, given what the local
 * DynamoDB instances were measured to sustain, and when the lag says they cannot keep up. No I/O,
 * no clock: callers pass the numbers in.
 */

/** Share of the measured capacity a workload may use by default. @default 0.25 */
export const DEFAULT_CAPACITY_FRACTION = 0.25;

/** Options of {@link chooseRate}. */
export interface ChooseRateOptions {
  /** Conditional puts per second one local DynamoDB instance sustained while every instance was busy. */
  readonly capacityPutsPerSecond: number;
  /** Share of that capacity the workload may use. @default {@link DEFAULT_CAPACITY_FRACTION} */
  readonly fraction?: number;
  /**
   * Requests one instance serves per workload write: 1 for a one-way benchmark (the source takes the
   * write, the peer the replicated put), 2 in the active-active demo (each instance takes its own
   * region's writes and the other region's replicated ones). @default 1
   */
  readonly requestsPerWrite?: number;
  /** Lowest rate returned, so a very slow machine still shows something. @default 5 */
  readonly min?: number;
  /** Highest rate returned. @default 1000 */
  readonly max?: number;
}

/**
 * The write rate (per second, per writing region) that keeps each instance at `fraction` of its
 * measured capacity: `floor(capacity × fraction ÷ requestsPerWrite)`, clamped to `[min, max]`.
 * A capacity that is not a positive finite number gives `min`.
 *
 * @example
 * chooseRate({ capacityPutsPerSecond: 780, requestsPerWrite: 2 }); // 97 writes/s per region
 */
export const chooseRate = (options: ChooseRateOptions): number => {
  const fraction = options.fraction ?? DEFAULT_CAPACITY_FRACTION;
  const perWrite = options.requestsPerWrite ?? 1;
  const min = options.min ?? 5;
  const max = options.max ?? 1_000;
  const capacity = options.capacityPutsPerSecond;
  if (!Number.isFinite(capacity) || capacity <= 0) return min;
  return Math.min(max, Math.max(min, Math.floor((capacity * fraction) / perWrite)));
};

/** Options of {@link isSaturated}. */
export interface SaturationOptions {
  /** How many of the latest samples are looked at. @default 5 */
  readonly window?: number;
  /** Lag below this is never called saturation, however it moves. @default 1000 */
  readonly floorMs?: number;
  /** Least-squares growth of the lag, in ms per sample, that counts as "keeps growing". @default 100 */
  readonly slopeMsPerSample?: number;
}

/**
 * True when the replication lag keeps growing: over the last `window` measured samples (one per
 * dashboard tick, oldest first; ticks without a sample, NaN, are skipped) the least-squares slope is at least `slopeMsPerSample` and the latest sample is
 * at least `floorMs`. A backlog that grows second after second means the writes arrive faster than
 * the local database can take them plus their replication; a short spike that recovers does not count.
 *
 * ```
 * lag ms  300  900 1600 2400 3100   slope ≈ 710 ms/sample, last ≥ 1000  → saturated
 * lag ms  300 2500  400  300  250   slope < 0                           → not saturated
 * ```
 */
export const isSaturated = (lagsMs: readonly number[], options: SaturationOptions = {}): boolean => {
  const window = options.window ?? 5;
  const floorMs = options.floorMs ?? 1_000;
  const slopeLimit = options.slopeMsPerSample ?? 100;
  // Seconds without an applied change (NaN) are skipped, not counted as calm: a saturated database
  // leaves such gaps, and they must not hide the growth around them.
  const recent = lagsMs.filter((value) => Number.isFinite(value)).slice(-window);
  if (recent.length < window) return false;
  const last = recent[recent.length - 1]!;
  if (last < floorMs) return false;
  const n = recent.length;
  const meanX = (n - 1) / 2;
  const meanY = recent.reduce((sum, value) => sum + value, 0) / n;
  let numerator = 0;
  let denominator = 0;
  recent.forEach((value, x) => {
    numerator += (x - meanX) * (value - meanY);
    denominator += (x - meanX) ** 2;
  });
  return numerator / denominator >= slopeLimit;
};

/**
 * A short, stable reason for a failed write, safe to print: the dynasync error code, else the AWS
 * error name (with its HTTP status when known), else the JavaScript error name. Never the message,
 * which can quote item values.
 */
export const failedWriteReason = (error: unknown): string => {
  if (typeof error !== 'object' || error === null) return typeof error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.includes('.')) return code;
  const name = (error as { name?: unknown }).name;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  const label = typeof name === 'string' && name !== '' ? name : 'Error';
  if (typeof code === 'string' && code !== '' && label === 'Error') return code;
  return typeof status === 'number' ? `${label} (HTTP ${status})` : label;
};

/** `"1261 failed: 1200 TimeoutError, 61 ThrottlingException (HTTP 400)"`, most frequent reason first. */
export const formatFailedWrites = (reasons: ReadonlyMap<string, number>): string => {
  const total = [...reasons.values()].reduce((sum, count) => sum + count, 0);
  if (total === 0) return '0 failed';
  const parts = [...reasons.entries()]
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([reason, count]) => `${count} ${reason}`);
  return `${total} failed: ${parts.join(', ')}`;
};

/** The dashboard's legend: what each column means and what a healthy run looks like. */
export const demoLegend = (): readonly string[] => [
  'legend:',
  '  writes/s      writes the workload issued in the last second (both regions)',
  '  A→B           changes the A replicator applied to B in the last second',
  '  stale         changes that reached the peer after a newer version of the key was already there',
  '                (skipped by the last-writer-wins condition; it grows with lag and with same-key writes)',
  '  lag p50/p99   applied changes of the last second: time from the client stamping the write',
  '                to the peer holding it (same machine clock)',
  '  healthy:      lag p99 well under 1000 ms and flat, A→B close to half the writes/s, 0 dead-lettered',
];

/**
 * The line printed when {@link isSaturated} holds, naming what was measured and what was asked.
 */
export const saturationWarning = (ratePerRegion: number, capacityPutsPerSecond: number | undefined): string =>
  `SATURATED: lag keeps growing — the local DynamoDB cannot take ${ratePerRegion} writes/s per region plus their replication` +
  (capacityPutsPerSecond === undefined
    ? ''
    : ` (measured ${Math.round(capacityPutsPerSecond)} conditional puts/s per instance)`) +
  '; lower --rate.';
