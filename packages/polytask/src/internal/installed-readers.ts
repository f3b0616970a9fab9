/**
 * The dataset reader packages (`@polytask/dataset-<name>`) a program run from `directory` can load:
 * those in `node_modules/@polytask` of the folder and of every folder above it (Node's lookup).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Reader names (the part after `dataset-`), sorted, each once. */
export function installedReaderNames(directory: string = process.cwd()): string[] {
  const names = new Set<string>();
  for (let folder = path.resolve(directory); ; folder = path.dirname(folder)) {
    const scope = path.join(folder, 'node_modules', '@polytask');
    if (existsSync(scope)) for (const name of readdirSync(scope)) if (name.startsWith('dataset-')) names.add(name.slice('dataset-'.length));
    if (path.dirname(folder) === folder) break;
  }
  return [...names].sort();
}
