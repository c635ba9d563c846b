import { readFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';

/** Requests in flight on one SDK client, integrated over time. */
export interface InflightSnapshot {
  readonly requests: number;
  /** Time-weighted mean of requests in flight. */
  readonly meanInFlight: number;
  readonly maxInFlight: number;
}

/**
 * Counts the requests a DynamoDB client has in flight (from SDK `initialize` to response), to tell
 * whether a run really kept its configured concurrency busy.
 */
export class InflightGauge {
  private inFlight = 0;
  private max = 0;
  private requests = 0;
  private area = 0;
  private since = performance.now();
  private startedAt = performance.now();

  /** Installs the counting middleware on a client (once per client). */
  public attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next) => async (args) => {
        this.change(1);
        try {
          return await next(args);
        } finally {
          this.change(-1);
        }
      },
      { step: 'initialize', name: 'benchInflightGauge' },
    );
  }

  /** Starts a new measurement window. */
  public reset(): void {
    this.max = this.inFlight;
    this.requests = 0;
    this.area = 0;
    this.since = performance.now();
    this.startedAt = this.since;
  }

  /** What happened since the last {@link reset}. */
  public snapshot(): InflightSnapshot {
    const now = performance.now();
    const area = this.area + this.inFlight * (now - this.since);
    const elapsed = now - this.startedAt;
    return { requests: this.requests, meanInFlight: elapsed > 0 ? area / elapsed : 0, maxInFlight: this.max };
  }

  private change(delta: number): void {
    const now = performance.now();
    this.area += this.inFlight * (now - this.since);
    this.since = now;
    this.inFlight += delta;
    if (delta > 0) this.requests += 1;
    this.max = Math.max(this.max, this.inFlight);
  }
}

/** CPU used during a window, in cores (1.0 = one core fully busy). */
export interface CpuSnapshot {
  readonly node: number;
  /** DynamoDB Local JVMs by label; `undefined` where /proc cannot be read (not Linux). */
  readonly jvm: Readonly<Record<string, number | undefined>>;
}

/** Clock ticks per second of /proc/<pid>/stat on Linux. */
const CLOCK_TICKS = 100;

const processTicks = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
};

/**
 * Measures the CPU this process and the DynamoDB Local processes used over a window: on a small
 * machine it tells whether the benchmark, the JVM or neither was the bottleneck.
 */
export class CpuProbe {
  private nodeStart = process.cpuUsage();
  private wallStart = performance.now();
  private jvmStart = new Map<string, number | undefined>();

  public constructor(private readonly jvms: Readonly<Record<string, number>>) {
    this.reset();
  }

  /** Starts a new window. */
  public reset(): void {
    this.nodeStart = process.cpuUsage();
    this.wallStart = performance.now();
    for (const [label, pid] of Object.entries(this.jvms)) this.jvmStart.set(label, processTicks(pid));
  }

  /** Cores used since the last {@link reset}. */
  public snapshot(): CpuSnapshot {
    const wallMs = performance.now() - this.wallStart;
    const usage = process.cpuUsage(this.nodeStart);
    const jvm: Record<string, number | undefined> = {};
    for (const [label, pid] of Object.entries(this.jvms)) {
      const start = this.jvmStart.get(label);
      const end = processTicks(pid);
      jvm[label] =
        start === undefined || end === undefined
          ? undefined
          : ((end - start) / CLOCK_TICKS) * (1000 / wallMs);
    }
    return { node: (usage.user + usage.system) / 1000 / wallMs, jvm };
  }
}

/** Durations of an SDK client's calls by command name, ms. */
export class CallTimer {
  private readonly samples = new Map<string, number[]>();

  /** Installs the timing middleware on a DynamoDB or DynamoDB Streams client. */
  public attach(client: DynamoDBClient | DynamoDBStreamsClient): void {
    (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
      (next, context) => async (args) => {
        const started = performance.now();
        try {
          return await next(args);
        } finally {
          this.add(String(context.commandName ?? 'unknown'), performance.now() - started);
        }
      },
      { step: 'initialize', name: 'benchCallTimer' },
    );
  }

  /** Records one duration under a name (also for timings taken outside the SDK). */
  public add(name: string, ms: number): void {
    const list = this.samples.get(name);
    if (list === undefined) this.samples.set(name, [ms]);
    else list.push(ms);
  }

  /** Forgets everything recorded so far. */
  public reset(): void {
    this.samples.clear();
  }

  /** Count, p50, p99 and mean per name. */
  public summary(): Record<string, { count: number; p50Ms: number; p99Ms: number; meanMs: number }> {
    const summary: Record<string, { count: number; p50Ms: number; p99Ms: number; meanMs: number }> = {};
    for (const [name, list] of this.samples) {
      const sorted = [...list].sort((a, b) => a - b);
      const at = (p: number) =>
        sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
      summary[name] = {
        count: list.length,
        p50Ms: Number(at(0.5).toFixed(1)),
        p99Ms: Number(at(0.99).toFixed(1)),
        meanMs: Number((list.reduce((sum, value) => sum + value, 0) / list.length).toFixed(1)),
      };
    }
    return summary;
  }
}
