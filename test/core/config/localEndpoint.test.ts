import { describe, expect, it } from 'vitest';
import { isLocalEndpoint, localMissingTableHint } from '../../../core/config/localEndpoint.js';

describe('isLocalEndpoint', () => {
  it.each([
    ['http://127.0.0.1:8000', true],
    ['http://localhost:8000', true],
    ['http://LOCALHOST', true],
    ['http://[::1]:8000/', true],
    ['https://dynamodb.eu-west-1.amazonaws.com', false],
    ['http://localhost.example.com', false],
    [undefined, false],
  ])('%s → %s', (endpoint, local) => {
    expect(isLocalEndpoint(endpoint)).toBe(local);
  });
});

describe('localMissingTableHint', () => {
  it('names -sharedDb and the per-region namespaces for a local endpoint, and nothing for AWS', () => {
    expect(localMissingTableHint('http://127.0.0.1:8000')).toMatch(/-sharedDb.*access key and region/);
    expect(localMissingTableHint('https://dynamodb.us-east-1.amazonaws.com')).toBe('');
    expect(localMissingTableHint(undefined)).toBe('');
  });
});
