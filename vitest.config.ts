import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Integration files share one engine; each uses its own index prefix, so files may run in parallel.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
