/**
 * Loads an optional package (a native backend, a codec) at run time: first as seen
 * from the calling package, then from the application folder (`process.cwd()`), where
 * users install optional extras. A package installed nowhere raises
 * MissingDependencyError naming it and how to install it.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PolytaskError } from './polytask-error';

/** An optional package that a feature needs is not installed. */
export class MissingDependencyError extends PolytaskError {
  /** The package to install. */
  readonly packageName: string;

  constructor(options: { packageName: string; message: string; cause?: unknown }) {
    super({ message: options.message, context: { packageName: options.packageName }, cause: options.cause });
    this.name = 'MissingDependencyError';
    this.packageName = options.packageName;
  }

  static override isInstance(error: unknown): error is MissingDependencyError {
    return PolytaskError.isInstance(error) && error.name === 'MissingDependencyError';
  }
}

/** True when `error` says `specifier` itself is not installed (not a failure inside the package while it loads). */
export function isModuleNotFound(error: unknown, specifier: string): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(message).includes(specifier);
}

/**
 * Imports `specifier`, or throws MissingDependencyError when it is installed nowhere.
 * Errors raised while the package itself loads (a missing native library) pass through.
 * @param importer imports relative to the calling package, e.g. `(name) => import(name)`.
 * @param purpose what the package is needed for, quoted in the error.
 */
export async function importOptional(
  specifier: string,
  importer: (specifier: string) => Promise<unknown>,
  purpose = 'this feature',
): Promise<unknown> {
  try {
    return await importer(specifier);
  } catch (error) {
    if (!isModuleNotFound(error, specifier)) throw error;
  }
  let resolved: string;
  try {
    resolved = createRequire(path.join(process.cwd(), 'package.json')).resolve(specifier);
  } catch (cause) {
    throw new MissingDependencyError({
      packageName: specifier,
      message: `${specifier} is needed for ${purpose} but is not installed; add it with \`pnpm add ${specifier}\` (or npm install ${specifier}).`,
      cause,
    });
  }
  return import(pathToFileURL(resolved).href);
}
