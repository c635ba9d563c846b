/** How a metric is judged: its value must be at least (`>=`) or at most (`<=`) the target value. */
export interface Target {
  readonly op: '>=' | '<=';
  readonly value: number;
}

/** One benchmark result, as written to `bench/results.json`. */
export interface Metric {
  readonly value: number;
  readonly unit: string;
  /** `null` when the issue sets no target (report only). */
  readonly target: Target | null;
  /** `null` when there is no target. */
  readonly pass: boolean | null;
  /** Absolute rates, settings and diagnostics behind the value. */
  readonly detail: Readonly<Record<string, unknown>>;
}

/** The whole `bench/results.json` document. */
export interface BenchResults {
  readonly generatedAt: string;
  readonly node: string;
  readonly cpus: number;
  readonly metrics: Readonly<Record<string, Metric>>;
}

/** A progress line printer; benchmarks never write to stdout directly. */
export type Print = (line: string) => void;
