import type { Tracer } from '@aws-lambda-powertools/tracer';
import { errorName } from '../core/errorName.js';

/** A value X-Ray indexes as an annotation. Counts, regions and codes only: never item values or keys. */
export type AnnotationValue = string | number | boolean;

/** One open X-Ray subsegment. */
export interface TraceSpan {
  /** Adds an indexed annotation (a count, a region). Keys are letters, digits and `_`. */
  annotate(key: string, value: AnnotationValue): void;
  /** Ends the subsegment; a second call does nothing. */
  close(): void;
}

/**
 * Where the replicator records its X-Ray subsegments; `powertoolsTracing` in Lambda, a recording fake
 * in tests. Nothing the replicator decides depends on it.
 *
 * ```
 * ## dynasync.batch         trace(): current while its function runs
 * ├── peer us-east-1        open(): a child of the current one, not current (writes run concurrently)
 * └── peer ap-south-1
 * ```
 */
export interface ReplicatorTracing {
  /** Runs `fn` inside a new subsegment of the current one; subsegments opened in `fn` are its children. */
  trace<T>(name: string, fn: (span: TraceSpan) => Promise<T>): Promise<T>;
  /** Opens a subsegment of the current one without making it current; the caller closes it. */
  open(name: string): TraceSpan;
}

const noSpan: TraceSpan = { annotate: () => undefined, close: () => undefined };

/** Tracing that records nothing (the default outside Lambda and when `deploy.lambda.tracing` is false). */
export const noTracing: ReplicatorTracing = {
  trace: (_name, fn) => fn(noSpan),
  open: () => noSpan,
};

/** Name of the subsegment of one batch. */
export const BATCH_SEGMENT = '## dynasync.batch';

/** Name of the subsegment of one batch's writes to one peer. */
export const peerSegmentName = (peer: string): string => `peer ${peer}`;

interface XraySubsegment {
  addAnnotation(key: string, value: AnnotationValue): void;
  addFaultFlag(): void;
  close(): void;
}

const spanOf = (subsegment: XraySubsegment): TraceSpan => {
  let closed = false;
  return {
    annotate: (key, value) => subsegment.addAnnotation(key, value),
    close: () => {
      if (closed) return;
      closed = true;
      subsegment.close();
    },
  };
};

/**
 * Tracing through a Powertools `Tracer`: subsegments of the Lambda's X-Ray segment. When the tracer
 * is disabled (not in Lambda, `POWERTOOLS_TRACE_ENABLED=false`) or there is no segment, it does
 * nothing. The first batch's subsegment carries Powertools' `ColdStart` and `Service` annotations.
 *
 * A failing batch marks its subsegment as a fault and annotates the error's name only: X-Ray's own
 * error capture would store the message and stack, which may quote item values.
 */
export const powertoolsTracing = (tracer: Tracer): ReplicatorTracing => {
  const open = (name: string): XraySubsegment | undefined => {
    if (!tracer.isTracingEnabled()) return undefined;
    return tracer.getSegment()?.addNewSubsegment(name);
  };
  return {
    trace: async (name, fn) => {
      const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
      const subsegment = parent?.addNewSubsegment(name);
      if (parent === undefined || subsegment === undefined) return fn(noSpan);
      tracer.setSegment(subsegment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
      const span = spanOf(subsegment);
      try {
        return await fn(span);
      } catch (error) {
        subsegment.addFaultFlag();
        subsegment.addAnnotation('error', errorName(error));
        throw error;
      } finally {
        span.close();
        tracer.setSegment(parent);
      }
    },
    open: (name) => {
      const subsegment = open(name);
      return subsegment === undefined ? noSpan : spanOf(subsegment);
    },
  };
};
