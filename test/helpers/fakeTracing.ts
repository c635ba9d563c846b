import type { AnnotationValue, ReplicatorTracing, TraceSpan } from '../../replicator/tracing.js';

/** A subsegment the fake recorded: its name, annotations, children and the order it closed in. */
export interface RecordedSpan {
  readonly name: string;
  readonly annotations: Record<string, AnnotationValue>;
  readonly children: RecordedSpan[];
  /** Position among all closes of this fake (0 first); undefined while open. */
  closedAt: number | undefined;
}

/**
 * A {@link ReplicatorTracing} that records the subsegment tree in memory, with X-Ray's rules: `trace`
 * makes its span current while its function runs; `open` adds a child of the current span.
 */
export class FakeTracing implements ReplicatorTracing {
  /** Spans opened with no current span (what the Lambda's facade segment would hold). */
  public readonly roots: RecordedSpan[] = [];
  private readonly current: RecordedSpan[] = [];
  private closes = 0;

  public async trace<T>(name: string, fn: (span: TraceSpan) => Promise<T>): Promise<T> {
    const { recorded, span } = this.add(name);
    this.current.push(recorded);
    try {
      return await fn(span);
    } finally {
      this.current.pop();
      span.close();
    }
  }

  public open(name: string): TraceSpan {
    return this.add(name).span;
  }

  /** Every recorded span, depth first. */
  public all(): RecordedSpan[] {
    const walk = (spans: readonly RecordedSpan[]): RecordedSpan[] =>
      spans.flatMap((span) => [span, ...walk(span.children)]);
    return walk(this.roots);
  }

  private add(name: string): { recorded: RecordedSpan; span: TraceSpan } {
    const recorded: RecordedSpan = { name, annotations: {}, children: [], closedAt: undefined };
    (this.current.at(-1)?.children ?? this.roots).push(recorded);
    const span: TraceSpan = {
      annotate: (key, value) => {
        if (recorded.closedAt !== undefined) throw new Error(`annotation ${key} on closed span ${name}`);
        recorded.annotations[key] = value;
      },
      close: () => {
        if (recorded.closedAt === undefined) recorded.closedAt = this.closes++;
      },
    };
    return { recorded, span };
  }
}
