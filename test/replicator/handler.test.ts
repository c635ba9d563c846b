import { describe, expect, it } from 'vitest';
import { handler } from '../../replicator/handler.js';

describe('the Lambda entry point', () => {
  it('is an async (event, context) handler: nodejs24.x runs no callback-style handlers', async () => {
    // Prepare: without DYNASYNC_CONFIG the handler fails at once, which is enough to see its shape.
    const saved = process.env.DYNASYNC_CONFIG;
    delete process.env.DYNASYNC_CONFIG;
    try {
      // Act
      const result = handler({ Records: [] }, { getRemainingTimeInMillis: () => 10_000 });

      // Assess: at most (event, context) and a Promise (Node.js 24 would wait forever for a callback).
      expect(handler.length).toBeLessThanOrEqual(2);
      expect(result).toBeInstanceOf(Promise);
      await expect(result).rejects.toThrow();
    } finally {
      if (saved !== undefined) process.env.DYNASYNC_CONFIG = saved;
    }
  });
});
