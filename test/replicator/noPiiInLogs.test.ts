import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HybridLogicalClock } from '../../conflict/HybridLogicalClock.js';
import { processBatch } from '../../replicator/processBatch.js';
import {
  FakeTable,
  fakeWriter,
  MemoryDeadLetterSink,
  planContext,
  stamped,
  streamRecord,
} from '../helpers/factories.js';

/** Values no log line may ever contain. */
const PII = {
  email: 'ada.lovelace@example.com',
  phone: '+44 20 7946 0958',
  name: 'Ada Augusta King-Noel',
  card: '4111111111111111',
  keyEmail: 'grace.hopper@example.org',
};

afterEach(() => vi.restoreAllMocks());

/** Captures everything the real Powertools logger writes, at every level. */
const capturedLogger = () => {
  const output: string[] = [];
  const keep = (chunk: unknown) => {
    output.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
    vi.spyOn(console, method).mockImplementation(keep);
  return { logger: new Logger({ serviceName: 'dynasync', logLevel: 'DEBUG' }), output };
};

describe('no PII in logs', () => {
  it('logs no item value and no key value on any success or failure path of a batch', async () => {
    // Prepare: a batch that goes through every path, every record full of recognisable personal data.
    const { logger, output } = capturedLogger();
    const clock = new HybridLogicalClock('eu-west-1');
    const personal = {
      email: { S: PII.email },
      phone: { S: PII.phone },
      name: { S: PII.name },
      card: { N: PII.card },
    };
    const peer = new FakeTable({ region: 'us-east-1' });
    const key = (suffix: string) => ({ pk: { S: `${PII.keyEmail}#${suffix}` } });
    peer.fail('validation', { times: Number.POSITIVE_INFINITY, key: key('rejected') });
    peer.fail('throttling', { times: Number.POSITIVE_INFINITY, key: key('throttled') });
    const records = [
      streamRecord({ newImage: stamped({ ...key('applied'), ...personal }, clock.now()) }), // applied
      streamRecord({ newImage: stamped({ ...key('rejected'), ...personal }, clock.now()) }), // permanent → dead letter
      streamRecord({ newImage: stamped({ ...key('throttled'), ...personal }, clock.now()) }), // transient → unfinished
      streamRecord({ newImage: { ...key('unstamped'), ...personal } }), // unstamped in active-active
      streamRecord({
        newImage: { ...key('malformed'), email: { S: PII.email }, n: { N: `${PII.card}abc` } },
      }), // invalid number
      streamRecord({ newImage: stamped({ ...key('echo'), ...personal }, clock.now(), { replicated: true }) }), // echo
      streamRecord({ newImage: { ...key('bad'), email: { SS: [PII.email, PII.email] } } }), // duplicate set member
    ];
    const failingSink = {
      send: async () => Promise.reject(new Error(`disk full while writing ${PII.email}`)),
    };

    // Act: once with a working dead-letter sink, once with one that fails (its error text carries PII).
    await processBatch(records, Date.now() + 300, {
      context: planContext(),
      writer: fakeWriter([peer]),
      deadLetters: new MemoryDeadLetterSink(),
      logger,
      configVersion: 'test',
    });
    await processBatch(records, Date.now() + 300, {
      context: planContext(),
      writer: fakeWriter([peer]),
      deadLetters: failingSink,
      logger,
      configVersion: 'test',
    });

    // Assess
    const text = output.join('\n');
    expect(text).toContain('record dead-lettered'); // the failure paths were logged ...
    expect(text).toContain('dead-letter sink failed');
    for (const value of Object.values(PII)) expect(text).not.toContain(value); // ... without the values
  });
});
