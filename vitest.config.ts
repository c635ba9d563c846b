import { defineConfig } from 'vitest/config';

/**
 * Two projects, one rule: a test file that needs DynamoDB Local (Java), moto_server or any spawned
 * server is named `*.integration.test.ts` and runs in `integration`, whose global setup starts two
 * DynamoDB Local instances; everything else is a unit test and runs without Java in seconds.
 * `vitest run` (npm test) runs both; `npm run test:unit` / `npm run test:integration` run one.
 */
const shared = {
  pool: 'forks',
  fileParallelism: true,
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
} as const;

export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      {
        test: {
          ...shared,
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.integration.test.ts'],
          testTimeout: 30_000,
          // Set-up hooks that synthesise and bundle a stack (esbuild) take seconds on a busy machine.
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          ...shared,
          name: 'integration',
          include: ['test/**/*.integration.test.ts'],
          globalSetup: ['test/helpers/globalSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
