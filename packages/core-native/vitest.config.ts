import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The native calls are fast, but this machine is shared: leave room for the float64 JS references.
    testTimeout: 60_000,
  },
});
