import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // inference is the whole cost: one file at a time keeps the 2 cores for its worker threads
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
