/**
 * The one tsup preset every package builds with: ESM only, bundled declarations,
 * source maps, Node 20 target. Packages call `definePackageBuild()` from their
 * own `tsup.config.ts`; swapping the bundler means changing this file only.
 */
import { defineConfig, type Options } from 'tsup';

/** Options a package may add to the shared preset. */
export interface PackageBuildOptions {
  /** Entry points relative to the package root. @default ['src/index.ts'] */
  readonly entry?: Options['entry'];
  /** Modules that must stay external beyond dependencies and peers. */
  readonly external?: string[];
}

/** Builds the tsup configuration for one package. */
export function definePackageBuild(options: PackageBuildOptions = {}) {
  return defineConfig({
    entry: options.entry ?? ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    tsconfig: 'tsconfig.build.json',
    external: options.external ?? [],
  });
}
