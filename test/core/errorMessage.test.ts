import { describe, expect, it } from 'vitest';
import { errorMessage } from '../../core/errorMessage.js';

describe('errorMessage', () => {
  it("is an error's message, or the thrown value as text", () => {
    expect(errorMessage(new Error('no table'))).toBe('no table');
    expect(errorMessage('boom')).toBe('boom');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});
