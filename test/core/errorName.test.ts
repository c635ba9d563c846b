import { describe, expect, it } from 'vitest';
import { errorName } from '../../core/errorName.js';

describe('errorName', () => {
  it('is the name of an error, or of any object with a string name', () => {
    expect(errorName(new TypeError('x'))).toBe('TypeError');
    expect(errorName({ name: 'ThrottlingException', message: 'secret value' })).toBe('ThrottlingException');
  });

  it('is "Error" for anything without a string name', () => {
    expect([errorName('boom'), errorName(undefined), errorName(null), errorName({ name: 42 })]).toEqual([
      'Error',
      'Error',
      'Error',
      'Error',
    ]);
  });
});
