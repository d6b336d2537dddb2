import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Live labs wait on protocol timers (SYN retransmissions, ...), not the CPU.
    testTimeout: 30_000,
    hookTimeout: 240_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'default',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/site/**'],
        },
      },
      {
        // The built site in a real browser: built and served once per run by the global setup.
        extends: true,
        test: {
          name: 'site',
          include: ['test/site/**/*.test.ts'],
          globalSetup: ['test/site/support/global-setup.ts'],
        },
      },
    ],
  },
});
