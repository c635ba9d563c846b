import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, classifyError, ErrorClasses } from '../../replicator/classifyError.js';
import { awsError } from '../helpers/factories.js';
import { checkProperty } from '../helpers/laws.js';

describe('classifyError', () => {
  it.each<[string, unknown, string]>([
    [
      'ConditionalCheckFailedException',
      awsError('ConditionalCheckFailedException', { status: 400 }),
      ErrorClasses.stale,
    ],
    ['ThrottlingException', awsError('ThrottlingException', { status: 400 }), ErrorClasses.transient],
    [
      'ProvisionedThroughputExceededException',
      awsError('ProvisionedThroughputExceededException', { status: 400 }),
      ErrorClasses.transient,
    ],
    ['RequestLimitExceeded', awsError('RequestLimitExceeded', { status: 400 }), ErrorClasses.transient],
    ['an HTTP 500 of unknown name', awsError('UnknownError', { status: 500 }), ErrorClasses.transient],
    ['an HTTP 503', awsError('Whatever', { status: 503 }), ErrorClasses.transient],
    ['an HTTP 429', awsError('Whatever', { status: 429 }), ErrorClasses.transient],
    ['ECONNRESET', awsError('Error', { code: 'ECONNRESET' }), ErrorClasses.transient],
    ['ETIMEDOUT', awsError('Error', { code: 'ETIMEDOUT' }), ErrorClasses.transient],
    [
      'an SDK error marked retryable',
      awsError('SomethingNew', { status: 400, retryable: true }),
      ErrorClasses.transient,
    ],
    ['a TimeoutError', awsError('TimeoutError'), ErrorClasses.transient],
    [
      'a missing table (outage)',
      awsError('ResourceNotFoundException', { status: 400 }),
      ErrorClasses.transient,
    ],
    ['ValidationException', awsError('ValidationException', { status: 400 }), ErrorClasses.permanent],
    ['SerializationException', awsError('SerializationException', { status: 400 }), ErrorClasses.permanent],
    ['an unknown 4xx', awsError('SomethingNew', { status: 400 }), ErrorClasses.permanent],
    [
      'a network error wrapped as cause',
      Object.assign(new Error('wrapped'), { cause: awsError('Error', { code: 'ECONNRESET' }) }),
      ErrorClasses.transient,
    ],
    [
      'a permanent error wrapped as cause',
      Object.assign(new Error('wrapped'), { cause: awsError('ValidationException') }),
      ErrorClasses.permanent,
    ],
    ['an unknown error without status', new Error('boom'), ErrorClasses.transient],
    ['a thrown string', 'boom', ErrorClasses.transient],
    ['null', null, ErrorClasses.transient],
  ])('classifies %s', (_name, error, expected) => {
    expect(classifyError(error)).toBe(expected);
  });

  it('does not loop on an error that is its own cause', () => {
    const error = new Error('self') as Error & { cause?: unknown };
    error.cause = error;

    expect(classifyError(error)).toBe(ErrorClasses.transient);
  });
});

describe('backoffDelay', () => {
  it('law: 0 <= delay < min(max, base * 2^attempt), and delay <= max', () => {
    checkProperty(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 1, max: 300_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, base, max, r) => {
          const delay = backoffDelay(attempt, base, max, () => r);

          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(max);
          expect(delay).toBeLessThan(Math.min(max, base * 2 ** Math.min(attempt, 30)));
        },
      ),
      300,
    );
  });

  it('doubles the ceiling each attempt until the maximum', () => {
    const almostOne = () => 0.999999;

    expect([0, 1, 2, 3, 10].map((attempt) => backoffDelay(attempt, 25, 150, almostOne))).toStrictEqual([
      24, 49, 99, 149, 149,
    ]);
    expect(backoffDelay(5, 25, 2_000, () => 0)).toBe(0);
  });
});
