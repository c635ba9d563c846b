import { describe, expect, it } from 'vitest';
import { DynasyncError, type ErrorCode, ErrorCodes } from '../../core/errors.js';

const entries = Object.entries(ErrorCodes).flatMap(([area, group]) =>
  Object.entries(group).map(([key, code]) => ({ area, key, code: code as string })),
);

describe('ErrorCodes', () => {
  // Law: ErrorCodes.<area>.<key> is the code '<area>.<key>', so a key always names its code.
  it('keys every code by its area and its last segment', () => {
    for (const { area, key, code } of entries) expect(code).toBe(`${area}.${key}`);
  });

  it('holds each code once', () => {
    const codes = entries.map((entry) => entry.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('keeps the public code strings', () => {
    expect(ErrorCodes.replicator.malformedRecord).toBe('replicator.malformedRecord');
    expect(ErrorCodes.config.tableUnreachable).toBe('config.tableUnreachable');
    expect(ErrorCodes.pipeline.keySchemaViolation).toBe('pipeline.keySchemaViolation');
    expect(ErrorCodes.conflict.invalidMergeModule).toBe('conflict.invalidMergeModule');
  });
});

describe('DynasyncError.match', () => {
  const error = new DynasyncError(ErrorCodes.verify.readFailed, 'verify: reads failed');

  it('matches every code of an area by its prefix', () => {
    expect(DynasyncError.match(error, 'verify.')).toBe(true);
    expect(DynasyncError.match(new DynasyncError(ErrorCodes.verify.aborted, 'x'), 'verify.')).toBe(true);
  });

  it('matches a whole code, and nothing of another area', () => {
    expect(DynasyncError.match(error, ErrorCodes.verify.readFailed)).toBe(true);
    expect(DynasyncError.match(error, ErrorCodes.verify.aborted)).toBe(false);
    expect(DynasyncError.match(error, 'scan.')).toBe(false);
  });

  it('is false for anything that is not a DynasyncError, even with a matching code', () => {
    const impostor = Object.assign(new Error('x'), { code: 'verify.readFailed' });
    expect(DynasyncError.match(impostor, 'verify.')).toBe(false);
    expect(DynasyncError.match(undefined, 'verify.')).toBe(false);
  });

  it('narrows the code to the matched area', () => {
    const caught: unknown = error;
    if (DynasyncError.match(caught, 'verify.')) {
      const code:
        | 'verify.invalidOption'
        | 'verify.keySchemaMismatch'
        | 'verify.readFailed'
        | 'verify.aborted'
        | 'verify.jobMismatch' = caught.code;
      const wide: ErrorCode = code;
      expect(wide).toBe('verify.readFailed');
    } else expect.fail('expected a match');
  });
});
