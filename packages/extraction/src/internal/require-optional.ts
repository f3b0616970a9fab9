/**
 * Loads an optional CommonJS peer dependency synchronously, on first use, so a synchronous
 * feature function can stay synchronous: first as seen from this package, then from the
 * application folder (`process.cwd()`), like `importOptional` in @polytask/core.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { isModuleNotFound, MissingDependencyError } from '@polytask/core';

/**
 * `require(specifier)`, or MissingDependencyError saying to `npm i` it when it is installed nowhere.
 * Errors raised while the package itself loads pass through. A CommonJS `default` export is unwrapped.
 * @param purpose what the package is needed for, quoted in the error.
 * @param requirers where to resolve from, in order. @default this package, then the working directory
 */
export function requireOptional(
  specifier: string,
  purpose: string,
  requirers: readonly NodeJS.Require[] = [createRequire(import.meta.url), createRequire(path.join(process.cwd(), 'package.json'))],
): unknown {
  let lastError: unknown;
  for (const requirer of requirers) {
    try {
      const loaded = requirer(specifier) as { default?: unknown; __esModule?: boolean };
      return loaded?.__esModule && loaded.default !== undefined ? loaded.default : loaded;
    } catch (error) {
      if (!isModuleNotFound(error, specifier)) throw error;
      lastError = error;
    }
  }
  throw new MissingDependencyError({
    packageName: specifier,
    message: `${purpose} need the optional peer dependency ${specifier}, which is not installed: run \`npm i ${specifier}\` (or \`pnpm add ${specifier}\`) in your project.`,
    cause: lastError,
  });
}
