/**
 * Imports a package that may be missing: first as a dependency of this package,
 * then from the application's folder (`process.cwd()`), where optional backends
 * such as `@tensorflow/tfjs-node-gpu` are usually installed.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Loads a module by specifier; replaceable in tests. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/** Thrown inside {@link importOptional} when the package is installed nowhere. */
export class ModuleNotInstalled extends Error {
  constructor(specifier: string) {
    super(`${specifier} is not installed`);
  }
}

/** Imports `specifier`, looking next to this package and then in the application folder. */
export async function importOptional(specifier: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (error) {
    if (!isNotFound(error) || !String((error as Error).message).includes(specifier)) throw error;
  }
  let resolved: string;
  try {
    resolved = createRequire(path.join(process.cwd(), 'package.json')).resolve(specifier);
  } catch {
    throw new ModuleNotInstalled(specifier);
  }
  return import(pathToFileURL(resolved).href);
}
