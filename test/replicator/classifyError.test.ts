import { describe, expect, it } from 'vitest';
import { classifyError, ErrorClasses } from '../../replicator/classifyError.js';
import { awsError } from '../helpers/factories.js';

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
