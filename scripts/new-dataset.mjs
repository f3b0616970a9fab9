#!/usr/bin/env node
/**
 * `pnpm new:dataset <name>`: creates packages/datasets/<name> as the package
 * @polytask/dataset-<name>, with the shared build and test configuration, a README to
 * fill in (source, licence, layout, tasks, split), a source file and a first test.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaffoldPackageConfig } from './scaffold-package.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const name = process.argv[2];
if (!name || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
  console.error('usage: pnpm new:dataset <name>   (kebab-case, e.g. esc50 or speech-commands)');
  process.exit(1);
}
const directory = path.join(root, 'packages', 'datasets', name);
if (existsSync(directory)) {
  console.error(`packages/datasets/${name} already exists; pick another name or edit it.`);
  process.exit(1);
}
const packageName = `@polytask/dataset-${name}`;
const camel = name.replace(/-([a-z0-9])/g, (_, letter) => letter.toUpperCase());
mkdirSync(path.join(directory, 'src'), { recursive: true });

const packageJson = {
  name: packageName,
  version: '0.0.0',
  description: `Polytask dataset reader for ${name}.`,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  exports: {
    '.': { '@polytask/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
  publishConfig: {
    access: 'public',
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
  },
  files: ['dist', 'src', '!src/**/*.test.ts', '!src/**/__fixtures__'],
  engines: { node: '>=20.19' },
  scripts: { build: 'tsup', test: 'vitest run', typecheck: 'tsc --noEmit -p tsconfig.json', lint: 'biome check .' },
  dependencies: { '@polytask/core': 'workspace:^', '@polytask/data-reading': 'workspace:^' },
};
writeFileSync(path.join(directory, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
process.chdir(root);
scaffoldPackageConfig(directory, packageName);

writeFileSync(
  path.join(directory, 'src', 'index.ts'),
  `/**
 * ${packageName}: reads the ${name} corpus in its published layout.
 */
import { defineTask, type TaskDefinition } from '@polytask/core';

/** The tasks this corpus provides. Replace the labels with the corpus's label set. */
export const ${camel}Tasks: readonly TaskDefinition[] = [defineTask({ name: '${name}', kind: 'multi-class', labels: ['first', 'second'] })];
`,
);
writeFileSync(
  path.join(directory, 'src', 'index.test.ts'),
  `import { describe, expect, it } from 'vitest';
import { ${camel}Tasks } from './index';

// Build a fixture tree that reproduces the corpus layout exactly (file names, nesting,
// metadata headers) from short synthetic WAVs, and read it back.
describe('${packageName}', () => {
  it('declares its tasks', () => {
    expect(${camel}Tasks.length).toBeGreaterThan(0);
  });
});
`,
);
writeFileSync(
  path.join(directory, 'README.md'),
  `# ${packageName}

Reads the **${name}** corpus into Polytask task datasets.

- **Source:** where the corpus is published (URL, version).
- **Licence:** the corpus licence and its citation.
- **Layout expected:** the folder tree and metadata files, exactly as published.
- **Tasks and labels:** each task, its kind and its label set.
- **Split:** the predefined train/test split or folds, and how they are used.

Allowed dependencies: \`@polytask/core\`, \`@polytask/data-reading\`.
`,
);
writeFileSync(
  path.join(root, '.changeset', `new-dataset-${name}.md`),
  `---\n'${packageName}': minor\n---\n\nNew dataset reader for ${name}.\n`,
);
console.log(`created packages/datasets/${name} (${packageName}); run pnpm install, then fill in README.md and src/.`);
