/**
 * The dataset reader packages (`@polytask/dataset-<name>`) a program run from `directory` can load:
 * those in `node_modules/@polytask` of the folder and of every folder above it (Node's lookup).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

/** A reader package found in the pnpm workspace around `directory` rather than in node_modules. */
export interface WorkspaceReader {
  /** The package folder. */
  readonly directory: string;
  /** Its built entry (`dist/index.js`); undefined until the package is built. */
  readonly entry: string | undefined;
}

/**
 * The workspace package `@polytask/dataset-<reader>` of the pnpm workspace that contains `directory`
 * (the nearest `pnpm-workspace.yaml` above it, its `packages:` globs of the form `folder/*`), so a
 * reader being written in a clone of the repository runs from any folder of it.
 */
export function findWorkspaceReader(reader: string, directory: string = process.cwd()): WorkspaceReader | undefined {
  let root: string | undefined;
  for (let folder = path.resolve(directory); ; folder = path.dirname(folder)) {
    if (existsSync(path.join(folder, 'pnpm-workspace.yaml'))) {
      root = folder;
      break;
    }
    if (path.dirname(folder) === folder) return undefined;
  }
  // the entries of the top-level `packages:` list
  const globs: string[] = [];
  let inPackages = false;
  for (const line of readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8').split('\n')) {
    if (/^\S/.test(line)) inPackages = /^packages:\s*$/.test(line);
    const item = inPackages ? /^\s+-\s+['"]?([^'"\s#]+)['"]?/.exec(line) : null;
    if (item) globs.push(item[1] as string);
  }
  for (const glob of globs) {
    if (!glob.endsWith('/*')) continue;
    const candidate = path.join(root, glob.slice(0, -2), reader);
    const packageFile = path.join(candidate, 'package.json');
    if (!existsSync(packageFile)) continue;
    const { name } = JSON.parse(readFileSync(packageFile, 'utf8')) as { name?: string };
    if (name !== `@polytask/dataset-${reader}`) continue;
    const entry = path.join(candidate, 'dist', 'index.js');
    return { directory: candidate, entry: existsSync(entry) ? entry : undefined };
  }
  return undefined;
}
