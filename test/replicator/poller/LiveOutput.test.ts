import { describe, expect, it } from 'vitest';
import { LiveOutput } from '../../../replicator/poller/_internals/LiveOutput.js';

describe('LiveOutput', () => {
  it('redraws the live line in place and prints warnings above it; info lines stay out', () => {
    // Prepare
    const written: string[] = [];
    let n = 0;
    const live = new LiveOutput(
      (text) => written.push(text),
      () => `line ${++n}`,
    );
    const logger = live.logger();

    // Act
    live.refresh();
    logger.info('batch processed', { applied: 3 });
    logger.warn('stream read failed; retrying', { shardId: 's-1', error: 'timeout', item: { pk: 'x' } });
    logger.info('stopping: finishing the batches in flight', { signal: 'SIGINT' });
    live.end(['summary']);

    // Assess
    expect(written).toStrictEqual([
      '\r\x1b[Kline 1',
      '\r\x1b[Kwarn: stream read failed; retrying (shardId=s-1, error=timeout)\n',
      '\r\x1b[Kline 2',
      '\r\x1b[Kstopping: finishing the batches in flight (signal=SIGINT)\n',
      '\r\x1b[Kline 3',
      '\r\x1b[Ksummary\n',
    ]);
  });
});
