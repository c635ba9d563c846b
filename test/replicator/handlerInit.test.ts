import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const loads = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../core/config/loadConfig.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../core/config/loadConfig.js')>();
  return {
    ...actual,
    loadConfigFromEnv: (...args: Parameters<typeof actual.loadConfigFromEnv>) => {
      loads.count += 1;
      return actual.loadConfigFromEnv(...args);
    },
  };
});

const saved = { ...process.env };
const dir = mkdtempSync(join(tmpdir(), 'dynasync-handler-init-'));
afterAll(() => {
  process.env = { ...saved };
  rmSync(dir, { recursive: true, force: true });
});

describe('Lambda handler init', () => {
  it('reads DYNASYNC_CONFIG once per cold start and builds one runtime for every invocation', async () => {
    // Prepare: the environment the CDK app gives the function (nothing is sent: the batches are empty).
    process.env.DYNASYNC_CONFIG = JSON.stringify({
      version: 1,
      name: 'orders',
      regions: {
        'eu-west-1': { table: 'orders', endpoint: 'http://127.0.0.1:9' },
        'us-east-1': { table: 'orders-us', endpoint: 'http://127.0.0.1:9' },
      },
      topology: { type: 'active-active' },
      deadLetter: { type: 'file', dir },
    });
    process.env.DYNASYNC_REGION = 'eu-west-1';
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler, init } = await import('../../replicator/handler.js');
    const context = { getRemainingTimeInMillis: () => 10_000 };

    // Act
    const responses = [await handler({ Records: [] }, context), await handler({ Records: [] }, context)];
    const [first, second] = [await init(), await init()];

    // Assess
    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(loads.count).toBe(1);
    expect(first).toBe(second);
    expect(first.region).toBe('eu-west-1');
  });
});
