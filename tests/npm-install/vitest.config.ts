import { defineConfig } from 'vitest/config';

// npm installs take minutes: one file, generous timeouts, no parallel installs on a 2-core machine
export default defineConfig({ test: { testTimeout: 900_000, hookTimeout: 900_000, fileParallelism: false } });
