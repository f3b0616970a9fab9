import { defineProject } from 'vitest/config';

/** `pnpm test:stress`: long fault and load tests on the built package, run by CI after `pnpm test`. */
export default defineProject({
  test: { name: '@polytask/training stress', include: ['stress/**/*.test.ts'], environment: 'node', pool: 'forks', testTimeout: 1_800_000 },
});
