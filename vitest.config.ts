import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (pure code, no engine: `npm run test:unit` for a fast loop) and `integration`
 * (a real Meilisearch started once by the global setup, vendor fakes, the CLI, the browser). Files of
 * the integration project share that engine, each under its own index prefix, so they run in parallel.
 */
export default defineConfig({
  test: {
    maxWorkers: 2,
    fileParallelism: true,
    projects: [
      // Property tests run thousands of cases: on a loaded two-core machine one can pass 5 s.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 60_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
