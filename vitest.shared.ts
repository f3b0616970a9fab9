/**
 * Shared vitest settings for every workspace: tests resolve sibling packages to their
 * TypeScript sources through the `@polytask/source` export condition, so no build is
 * needed before `vitest run`.
 */
import { defineProject } from 'vitest/config';

const conditions = ['@polytask/source', 'import', 'module', 'node', 'default'];

/** Creates one vitest project named after its package. */
export function definePolytaskProject(name: string, options: { testTimeout?: number } = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      pool: 'forks',
      testTimeout: options.testTimeout ?? 30_000,
      // set-up and clean-up (removing run folders full of checkpoints) get the tests' time on a loaded machine
      hookTimeout: Math.max(options.testTimeout ?? 30_000, 60_000),
    },
  });
}
