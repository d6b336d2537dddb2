import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Live labs wait on protocol timers (SYN retransmissions, ...), not the CPU.
    testTimeout: 30_000,
    hookTimeout: 240_000,
  },
});
