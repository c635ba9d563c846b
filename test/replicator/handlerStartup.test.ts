import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

/** Counts the reads of DYNASYNC_CONFIG; the config itself is the real one. */
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
const dir = mkdtempSync(join(tmpdir(), 'dynasync-handler-startup-'));
writeFileSync(join(dir, 'throws.mjs'), 'throw new Error("the module fails as it loads");\n');
afterEach(() => {
  process.env = { ...saved };
  vi.resetModules();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The environment the CDK app gives the function, with a merge config naming `module`. */
const useMergeConfig = (module: string): void => {
  process.env.DYNASYNC_CONFIG = JSON.stringify({
    version: 1,
    name: 'orders',
    regions: {
      'eu-west-1': { table: 'orders', endpoint: 'http://127.0.0.1:9' },
      'us-east-1': { table: 'orders-us', endpoint: 'http://127.0.0.1:9' },
    },
    topology: { type: 'active-active' },
    conflict: { strategy: 'merge', module },
    deadLetter: { type: 'file', dir },
  });
  process.env.DYNASYNC_REGION = 'eu-west-1';
};

describe('Lambda handler start-up checks', () => {
  it.each([
    ['missing', '/nonexistent/dynasync/merge.mjs'],
    ['throwing as it loads', join(dir, 'throws.mjs')],
  ])('fails the init in Lambda when conflict.module is %s, naming the field', async (_what, module) => {
    // Prepare: the Lambda runtime sets AWS_LAMBDA_FUNCTION_NAME before it imports the handler.
    useMergeConfig(module);
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'dynasync-orders-eu-west-1-replicator';

    // Act: the init is the import of the handler module.
    const init = import('../../replicator/handler.js');

    // Assess
    await expect(init).rejects.toMatchObject({
      code: 'conflict.invalidMergeModule',
      payload: { path: 'conflict.module', module },
    });
    await expect(init).rejects.toThrow(/^conflict\.module: /);
  });

  it('outside Lambda, fails the first invocation, even a batch without a conflict', async () => {
    // Prepare
    useMergeConfig('/nonexistent/dynasync/merge.mjs');
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    const { handler } = await import('../../replicator/handler.js');

    // Act
    const result = handler({ Records: [] }, { getRemainingTimeInMillis: () => 10_000 });

    // Assess
    await expect(result).rejects.toMatchObject({
      code: 'conflict.invalidMergeModule',
      payload: { path: 'conflict.module' },
    });
  });

  it('starts with a module that loads and exports merge', async () => {
    // Prepare
    writeFileSync(
      join(dir, 'good.mjs'),
      'export const merge = (local, remote) => ({ ...local, ...remote });\n',
    );
    useMergeConfig(join(dir, 'good.mjs'));
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'dynasync-orders-eu-west-1-replicator';
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

    // Act
    const { handler } = await import('../../replicator/handler.js');
    const result = await handler({ Records: [] }, { getRemainingTimeInMillis: () => 10_000 });

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('reads DYNASYNC_CONFIG once per cold start and builds one runtime for every invocation', async () => {
    // Prepare: outside Lambda, so nothing runs at import; the batches are empty, nothing is sent.
    writeFileSync(
      join(dir, 'good.mjs'),
      'export const merge = (local, remote) => ({ ...local, ...remote });\n',
    );
    useMergeConfig(join(dir, 'good.mjs'));
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler, init } = await import('../../replicator/handler.js');
    const context = { getRemainingTimeInMillis: () => 10_000 };
    loads.count = 0;

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
