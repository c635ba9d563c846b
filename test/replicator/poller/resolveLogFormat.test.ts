import { describe, expect, it } from 'vitest';
import { resolveLogFormat } from '../../../replicator/poller/runPoller.js';

describe('resolveLogFormat', () => {
  it('is pretty on a terminal and json otherwise', () => {
    expect(resolveLogFormat({ isTTY: true })).toBe('pretty');
    expect(resolveLogFormat({ isTTY: false })).toBe('json');
  });

  it('lets --log-format, then DYNASYNC_LOG_FORMAT, override the terminal check', () => {
    expect(resolveLogFormat({ asked: 'json', env: 'pretty', isTTY: true })).toBe('json');
    expect(resolveLogFormat({ env: 'json', isTTY: true })).toBe('json');
    expect(resolveLogFormat({ env: 'pretty', isTTY: false })).toBe('pretty');
    expect(resolveLogFormat({ env: '', isTTY: false })).toBe('json');
  });

  it('rejects an unknown format with config.invalidField', () => {
    expect(() => resolveLogFormat({ env: 'yaml', isTTY: true })).toThrow(
      expect.objectContaining({ code: 'config.invalidField' }),
    );
  });
});
