/** Runs every workspace's tests in one process: `pnpm vitest run` at the root. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'packages/datasets/*/vitest.config.ts', 'examples/*/vitest.config.ts'],
  },
});
