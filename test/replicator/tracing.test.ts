import { Tracer } from '@aws-lambda-powertools/tracer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../core/config/loadConfig.js';
import { createReplicator } from '../../replicator/createReplicator.js';
import { processBatch } from '../../replicator/processBatch.js';
import { BATCH_SEGMENT, noTracing, peerSegmentName, powertoolsTracing } from '../../replicator/tracing.js';
import type { StreamRecord } from '../../replicator/types.js';
import {
  FakeTable,
  fakeWriter,
  ManualClock,
  MemoryDeadLetterSink,
  planContext,
  silentLogger,
  stamped,
  streamRecord,
  version,
} from '../helpers/factories.js';
import { FakeTracing } from '../helpers/fakeTracing.js';

const PEERS = ['us-east-1', 'ap-south-1'];

const put = (pk: string, at: number, extra: Record<string, { S: string }> = {}): StreamRecord =>
  streamRecord({ newImage: stamped({ pk: { S: pk }, ...extra }, version(at)), createdAt: at / 1000 });

const setup = (peerNames: readonly string[] = PEERS) => {
  const clock = new ManualClock();
  const peers = peerNames.map((region) => new FakeTable({ region }));
  const tracing = new FakeTracing();
  const deps = {
    context: planContext({ peers: peers.map((p) => p.region) }),
    writer: fakeWriter(peers, { now: clock.now, sleep: clock.sleep }),
    deadLetters: new MemoryDeadLetterSink(),
    logger: silentLogger,
    configVersion: 'cfg123',
    now: clock.now,
    tracing,
  };
  return { clock, peers, deps, tracing, deadline: clock.ms + 10_000 };
};

describe('processBatch tracing', () => {
  it('records one batch subsegment with the counts and one child per peer with its outcomes', async () => {
    // Prepare: k1 is stale at us-east-1, k2 is rejected (permanent) by ap-south-1.
    const { clock, peers, deps, tracing, deadline } = setup();
    peers[0]!.write(stamped({ pk: { S: 'k1' } }, version(clock.ms)));
    peers[1]!.fail('validation', { key: { pk: { S: 'k2' } } });
    const records = [put('k1', clock.ms - 500), put('k2', clock.ms - 300), put('k3', clock.ms - 100)];

    // Act
    const result = await processBatch(records, deadline, deps);

    // Assess
    expect(tracing.roots.map((span) => span.name)).toStrictEqual([BATCH_SEGMENT]);
    const batch = tracing.roots[0]!;
    expect(batch.annotations).toStrictEqual({
      records: 3,
      changes: 3,
      applied: 4,
      stale: 1,
      deadLettered: 1,
      unfinished: 0,
      retried: 0,
      malformed: 0,
      echoes: 0,
    });
    expect(result.counts).toMatchObject({ applied: 4, stale: 1, deadLettered: 1 });
    expect(batch.children.map((span) => [span.name, span.annotations])).toStrictEqual([
      [
        peerSegmentName('us-east-1'),
        { peer: 'us-east-1', writes: 3, applied: 2, stale: 1, permanent: 0, unfinished: 0, retried: 0 },
      ],
      [
        peerSegmentName('ap-south-1'),
        { peer: 'ap-south-1', writes: 3, applied: 2, stale: 0, permanent: 1, unfinished: 0, retried: 0 },
      ],
    ]);
    // Each peer's subsegment ends with its writes, before the batch's.
    for (const child of batch.children) expect(child.closedAt).toBeLessThan(batch.closedAt!);
  });

  it('counts retries and unfinished writes on the peer that had them', async () => {
    // Prepare: us-east-1 throttles k1 until the budget runs out.
    const { clock, peers, deps, tracing } = setup();
    peers[0]!.fail('throttling', { times: Number.POSITIVE_INFINITY, key: { pk: { S: 'k1' } } });

    // Act
    await processBatch([put('k1', clock.ms - 100)], clock.ms + 1_000, deps);

    // Assess
    const [us, ap] = tracing.roots[0]!.children;
    expect(us!.annotations).toMatchObject({ peer: 'us-east-1', writes: 1, applied: 0, unfinished: 1 });
    expect(us!.annotations.retried).toBeGreaterThan(0);
    expect(ap!.annotations).toMatchObject({ peer: 'ap-south-1', writes: 1, applied: 1, retried: 0 });
    expect(tracing.roots[0]!.annotations).toMatchObject({ unfinished: 1, applied: 1 });
  });

  it('opens no peer subsegment for a batch with nothing to write', async () => {
    // Prepare: an echo (the replicator's own write) ships nothing.
    const { clock, deps, tracing, deadline } = setup();
    const echo = streamRecord({
      newImage: { ...stamped({ pk: { S: 'k1' } }, version(clock.ms - 10)), _ds_rep: { BOOL: true } },
    });

    // Act
    await processBatch([echo], deadline, deps);

    // Assess
    expect(tracing.roots).toHaveLength(1);
    expect(tracing.roots[0]!.children).toStrictEqual([]);
    expect(tracing.roots[0]!.annotations).toMatchObject({ records: 1, changes: 0, echoes: 1 });
  });

  it('annotates counts and region names only: no key or attribute value reaches a subsegment', async () => {
    // Prepare
    const { clock, deps, tracing, deadline } = setup();
    const secret = 'alice@example.com';

    // Act
    await processBatch([put(`user#${secret}`, clock.ms - 50, { email: { S: secret } })], deadline, deps);

    // Assess
    const text = JSON.stringify(tracing.all());
    expect(text).not.toContain(secret);
    for (const span of tracing.all())
      for (const value of Object.values(span.annotations))
        if (typeof value === 'string') expect(value === span.annotations.peer).toBe(true);
  });

  it('closes the peer subsegments when the writer throws', async () => {
    // Prepare
    const { clock, deps, tracing, deadline } = setup();
    const writer = { sendAll: () => Promise.reject(new Error('bug')) } as unknown as typeof deps.writer;

    // Act
    const run = processBatch([put('k1', clock.ms - 50)], deadline, { ...deps, writer });

    // Assess
    await expect(run).rejects.toThrow('bug');
    expect(tracing.all().map((span) => span.closedAt === undefined)).toStrictEqual([false, false, false]);
  });
});

describe('createReplicator tracing', () => {
  it('hands its tracing to every batch it processes', async () => {
    // Prepare
    const clock = new ManualClock();
    const peer = new FakeTable({ region: 'us-east-1' });
    const tracing = new FakeTracing();
    const replicator = createReplicator({
      config: parseConfig({
        version: 1,
        name: 'orders',
        regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'Orders' } },
        topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
      }),
      region: 'eu-west-1',
      clients: { 'us-east-1': peer.target.client },
      deadLetters: new MemoryDeadLetterSink(),
      logger: silentLogger,
      now: clock.now,
      tracing,
    });

    // Act: the writer's clock is the real one; a deadline days away never runs out.
    await replicator.process([put('k1', clock.ms - 100)], Date.now() + 1_000_000_000);

    // Assess
    expect(tracing.all().map((span) => [span.name, span.annotations.applied])).toStrictEqual([
      [BATCH_SEGMENT, 1],
      [peerSegmentName('us-east-1'), 1],
    ]);
  });
});

/** A structural stand-in for the X-Ray SDK's subsegment, recording what Powertools' Tracer would send. */
class XraySegment {
  public readonly children: XraySegment[] = [];
  public readonly annotations: Record<string, unknown> = {};
  public fault = false;
  public closed = 0;
  public constructor(public readonly name: string) {}
  public addNewSubsegment(name: string): XraySegment {
    const child = new XraySegment(name);
    this.children.push(child);
    return child;
  }
  public addAnnotation(key: string, value: unknown): void {
    this.annotations[key] = value;
  }
  public addFaultFlag(): void {
    this.fault = true;
  }
  public close(): void {
    this.closed += 1;
  }
}

/** A Tracer whose segment is `facade`, as in a Lambda with active tracing. */
const enabledTracer = (facade: XraySegment) => {
  let current: XraySegment = facade;
  const tracer = {
    isTracingEnabled: () => true,
    getSegment: () => current,
    setSegment: (segment: XraySegment) => {
      current = segment;
    },
    annotateColdStart: () => current.addAnnotation('ColdStart', true),
    addServiceNameAnnotation: () => current.addAnnotation('Service', 'dynasync'),
  };
  return { tracer: tracer as unknown as Tracer, current: () => current };
};

describe('powertoolsTracing', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('nests peer subsegments under the batch subsegment and restores the segment after it', async () => {
    // Prepare
    const facade = new XraySegment('facade');
    const { tracer, current } = enabledTracer(facade);
    const tracing = powertoolsTracing(tracer);

    // Act
    const value = await tracing.trace(BATCH_SEGMENT, async (span) => {
      const peer = tracing.open(peerSegmentName('us-east-1'));
      peer.annotate('applied', 3);
      peer.close();
      peer.close();
      span.annotate('records', 3);
      return 'done';
    });

    // Assess
    expect(value).toBe('done');
    expect(current()).toBe(facade);
    const batch = facade.children[0]!;
    expect(batch.name).toBe(BATCH_SEGMENT);
    expect(batch.annotations).toStrictEqual({ ColdStart: true, Service: 'dynasync', records: 3 });
    expect(batch.closed).toBe(1);
    expect(batch.children.map((child) => [child.name, child.annotations, child.closed])).toStrictEqual([
      ['peer us-east-1', { applied: 3 }, 1],
    ]);
  });

  it('marks a failed batch as a fault with the error name only, and rethrows', async () => {
    // Prepare
    const facade = new XraySegment('facade');
    const { tracer, current } = enabledTracer(facade);
    const failure = Object.assign(new Error('value alice@example.com rejected'), {
      name: 'ValidationException',
    });

    // Act
    const run = powertoolsTracing(tracer).trace(BATCH_SEGMENT, () => Promise.reject(failure));

    // Assess
    await expect(run).rejects.toBe(failure);
    const batch = facade.children[0]!;
    expect(batch.fault).toBe(true);
    expect(batch.annotations.error).toBe('ValidationException');
    expect(JSON.stringify(batch)).not.toContain('alice');
    expect(batch.closed).toBe(1);
    expect(current()).toBe(facade);
  });

  it('records nothing with the real Tracer outside Lambda, and with POWERTOOLS_TRACE_ENABLED=false in it', async () => {
    // Prepare: outside Lambda (no AWS_EXECUTION_ENV) and in Lambda with tracing switched off.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    vi.stubEnv('AWS_EXECUTION_ENV', '');
    const outside = new Tracer({ serviceName: 'dynasync' });
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs24.x');
    vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');
    const switchedOff = new Tracer({ serviceName: 'dynasync' });

    // Act
    const results = [];
    for (const tracer of [outside, switchedOff]) {
      const tracing = powertoolsTracing(tracer);
      results.push(
        tracer.isTracingEnabled(),
        await tracing.trace(BATCH_SEGMENT, async (span) => {
          span.annotate('records', 1);
          tracing.open('peer us-east-1').close();
          return 'ran';
        }),
      );
    }

    // Assess
    expect(results).toStrictEqual([false, 'ran', false, 'ran']);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('noTracing runs the function and records nothing', async () => {
    const value = await noTracing.trace('x', async (span) => {
      span.annotate('a', 1);
      return 7;
    });
    expect(value).toBe(7);
  });
});
