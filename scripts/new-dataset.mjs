#!/usr/bin/env node
/**
 * `pnpm new:dataset <name>`: creates packages/datasets/<name> as the package
 * @polytask/dataset-<name>, with the shared build and test configuration, a README to
 * fill in (source, licence, layout, tasks, split), a reader with its options schema
 * (`readerOptionsSchema`, checked by the polytask CLI) and first tests.
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
const pascal = camel[0].toUpperCase() + camel.slice(1);
// the task name as an object key, quoted only when it must be (as the formatter wants)
const taskKey = /^[A-Za-z_$][\w$]*$/.test(name) ? name : `'${name}'`;
const testImports = [`${camel}Tasks`, 'readerOptionsSchema'].sort((first, second) => first.localeCompare(second)).join(', ');
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
import path from 'node:path';
import { defineTask, type TaskDefinition } from '@polytask/core';
import { type DataReader, type DatasetItem, defineReaderOptions, readCsv } from '@polytask/data-reading';

/** The tasks this corpus provides. Replace the labels with the corpus's label set. */
export const ${camel}Tasks: readonly TaskDefinition[] = [defineTask({ name: '${name}', kind: 'multi-class', labels: ['first', 'second'] })];

/** Options of {@link create${pascal}Reader}. */
export interface ${pascal}ReaderOptions {
  /** Corpus root, in its published layout. */
  readonly directory: string;
}

/**
 * The options of \`createReader\`, checked by the polytask CLI before it creates the reader: one field
 * per option of {@link ${pascal}ReaderOptions} (the compiler checks that they match).
 */
export const readerOptionsSchema = defineReaderOptions<${pascal}ReaderOptions>({
  directory: { type: 'string', required: true, description: 'Corpus root, in its published layout' },
});

/** Reads ${name}: say here which tasks, which split or folds, and what the groups are. */
export function create${pascal}Reader(options: ${pascal}ReaderOptions): DataReader {
  return {
    specificationVersion: 'v1',
    name: '${name}',
    tasks: ${camel}Tasks,
    async listItems() {
      // Replace with the corpus's own metadata; readCsv names a missing file or column.
      const rows = readCsv(path.join(options.directory, 'metadata.csv'), { requiredColumns: ['file', 'label'] });
      return rows.map(
        (row): DatasetItem => ({
          id: row.file as string,
          path: path.join(options.directory, row.file as string),
          labels: { ${taskKey}: row.label as string },
        }),
      );
    },
  };
}

/** The package's reader factory under the name every reader package exports (used by the polytask CLI). */
export { create${pascal}Reader as createReader };
`,
);
writeFileSync(
  path.join(directory, 'src', 'index.test.ts'),
  `import { validateReaderOptions } from '@polytask/data-reading';
import { describe, expect, it } from 'vitest';
import { ${testImports} } from './index';

// Build a fixture tree that reproduces the corpus layout exactly (file names, nesting,
// metadata headers) from short synthetic WAVs, and read it back.
describe('${packageName}', () => {
  it('declares its tasks', () => {
    expect(${camel}Tasks.length).toBeGreaterThan(0);
  });

  it('rejects a misspelled option, naming the known options', () => {
    expect(() => validateReaderOptions({ directry: '/corpus' }, { schema: readerOptionsSchema, reader: '${name}' })).toThrow(
      /did you mean "directory"\\? Known options: directory \\(string, required\\)/,
    );
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
- **Options:** each option of \`createReader\` (as in \`readerOptionsSchema\`), e.g.
  \`{ "reader": "${name}", "options": { "directory": "data/${name}" } }\`.

Allowed dependencies: \`@polytask/core\`, \`@polytask/data-reading\`.
`,
);
writeFileSync(
  path.join(root, '.changeset', `new-dataset-${name}.md`),
  `---\n'${packageName}': minor\n---\n\nNew dataset reader for ${name}.\n`,
);
console.log(`created packages/datasets/${name} (${packageName}); run pnpm install, then fill in README.md and src/.`);
