#!/usr/bin/env node
/**
 * `pnpm new:dataset <name>`: creates packages/datasets/<name> as the package
 * @polytask/dataset-<name>, with the shared build and test configuration, a README to
 * fill in (source, licence, layout, tasks, split), a reader with its options schema
 * (`readerOptionsSchema`, checked by the polytask CLI) and first tests.
 */
import { execFileSync } from 'node:child_process';
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
const testImports = ['createReader', `${camel}Tasks`, 'readerOptionsSchema']
  .sort((first, second) => first.localeCompare(second))
  .join(', ');
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
    './testing': { '@polytask/source': './src/testing.ts', types: './dist/testing.d.ts', default: './dist/testing.js' },
    './package.json': './package.json',
  },
  publishConfig: {
    access: 'public',
    exports: {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './testing': { types: './dist/testing.d.ts', default: './dist/testing.js' },
      './package.json': './package.json',
    },
  },
  files: ['dist', 'src', '!src/**/*.test.ts', '!src/**/__fixtures__'],
  engines: { node: '>=20.19' },
  scripts: { build: 'tsup', test: 'vitest run', typecheck: 'tsc --noEmit -p tsconfig.json', lint: 'biome check .' },
  dependencies: { '@polytask/core': 'workspace:^', '@polytask/data-reading': 'workspace:^' },
};
writeFileSync(path.join(directory, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
process.chdir(root);
scaffoldPackageConfig(directory, packageName);
// the fixture writer is a second entry (`<package>/testing`), like every reader's
writeFileSync(
  path.join(directory, 'tsup.config.ts'),
  `import { definePackageBuild } from '../../../tsup.config.base.ts';\n\nexport default definePackageBuild({ entry: ['src/index.ts', 'src/testing.ts'] });\n`,
);

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
    // what the feature cache key records: the options after the reader's defaults
    options: { ...options, directory: path.resolve(options.directory) },
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
  path.join(directory, 'src', `write-${name}-fixture.ts`),
  `/**
 * A small ${name} corpus in the layout the reader expects (metadata.csv and audio/), every label
 * sounding as its own tone, for the reader's tests and for tests of experiments that read ${name}.
 * Change it with the reader: it must reproduce the published layout exactly.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixtureLabelTone, synthesizeFixtureSound, writeWavFile } from '@polytask/data-reading/testing';
import { ${camel}Tasks } from './index';

/** Options of {@link write${pascal}Fixture}. */
export interface ${pascal}FixtureOptions {
  /** The corpus root to write; created when missing. */
  readonly directory: string;
  /** Clips per label. @default 4 */
  readonly clipsPerLabel?: number;
  /** @default 16000 */
  readonly sampleRate?: number;
  /** Clip length in seconds. @default 0.5 */
  readonly seconds?: number;
}

/** Writes the fixture corpus and returns its root. */
export function write${pascal}Fixture(options: ${pascal}FixtureOptions): string {
  const { directory, clipsPerLabel = 4, sampleRate = 16000, seconds = 0.5 } = options;
  const labels = ${camel}Tasks[0]?.labels ?? [];
  const rows = ['file,label'];
  for (const [index, label] of labels.entries()) {
    for (let clip = 0; clip < clipsPerLabel; clip++) {
      const file = \`audio/\${label}-\${clip}.wav\`;
      writeWavFile({
        file: path.join(directory, file),
        sampleRate,
        channels: synthesizeFixtureSound({ sampleRate, seconds, tones: [fixtureLabelTone({ index, count: labels.length })], seed: index * 100 + clip }),
      });
      rows.push(\`\${file},\${label}\`);
    }
  }
  mkdirSync(directory, { recursive: true });
  writeFileSync(path.join(directory, 'metadata.csv'), \`\${rows.join('\\n')}\\n\`);
  return directory;
}
`,
);
writeFileSync(
  path.join(directory, 'src', 'testing.ts'),
  `/**
 * ${packageName}/testing: a fixture generator that writes a small ${name} in its published layout.
 */
export { type ${pascal}FixtureOptions, write${pascal}Fixture } from './write-${name}-fixture';
`,
);
writeFileSync(
  path.join(directory, 'src', 'index.test.ts'),
  `import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readDataset, validateReaderOptions } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import { ${testImports} } from './index';
import { write${pascal}Fixture } from './testing';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-${name}-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// The fixture tree reproduces the corpus layout (file names, nesting, metadata headers) from short
// synthetic WAVs; the reader reads it back as the polytask CLI would.
describe('${packageName}', () => {
  it('reads the fixture corpus into features with a target per task', async () => {
    const directory = write${pascal}Fixture({ directory: path.join(root, 'corpus'), clipsPerLabel: 3 });
    const { dataset } = await readDataset(createReader({ directory }), {
      extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 256, melBandCount: 16 } },
      cacheDirectory: path.join(root, 'cache'),
      workers: 0,
      progress: 'none',
    });
    const labels = ${camel}Tasks[0]?.labels ?? [];
    expect(dataset.size).toBe(3 * labels.length);
    expect(dataset.featuresOf(0).shape[1]).toBe(16);
  });

  it('names the missing metadata file', async () => {
    await expect(createReader({ directory: path.join(root, 'nowhere') }).listItems()).rejects.toThrow(/metadata\\.csv/);
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
  path.join(directory, 'src', 'options-documentation.test.ts'),
  `import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedSection, normalizeMarkdownTables } from '@polytask/core';
import { readerOptionsMarkdown } from '@polytask/data-reading';
import { expect, it } from 'vitest';
import { readerOptionsSchema } from './index';

it('the README lists the reader options as the schema has them (else: pnpm build && pnpm docs:readers)', () => {
  const readme = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');
  const section = generatedSection(readme, 'options', 'scripts/generate-reader-docs.mjs');
  expect(normalizeMarkdownTables(section ?? '')).toBe(normalizeMarkdownTables(readerOptionsMarkdown(readerOptionsSchema)));
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

Use it from an experiment: add \`${packageName}\` to the dependencies of the workspace you run
\`polytask\` from (an example, or your project), \`pnpm install\`, and \`pnpm --filter ${packageName} build\`
(the CLI loads the built reader). Reader options are part of the feature cache key.

\`${packageName}/testing\` exports \`write${pascal}Fixture\`: a small corpus in the layout above, for tests.

Allowed dependencies: \`@polytask/core\`, \`@polytask/data-reading\`.

## Options

\`{ "reader": "${name}", "options": { ... } }\` in an experiment config, or \`createReader(options)\`
(generated from \`readerOptionsSchema\` by \`pnpm docs:readers\` after a build):

<!-- generated:options:start (scripts/generate-reader-docs.mjs) -->

| option | type | default | description |
|---|---|---|---|
| \`directory\` | string | required | Corpus root, in its published layout |

<!-- generated:options:end (scripts/generate-reader-docs.mjs) -->
`,
);
writeFileSync(
  path.join(root, '.changeset', `new-dataset-${name}.md`),
  `---\n'${packageName}': minor\n---\n\nNew dataset reader for ${name}.\n`,
);
// laid out as the repository's formatter wants, so the new package is lint-clean from the start
try {
  execFileSync('pnpm', ['exec', 'biome', 'format', '--write', directory], { cwd: root, stdio: 'ignore' });
} catch {
  console.warn('biome is not installed yet: run pnpm install, then pnpm exec biome format --write on the new package');
}
console.log(`created packages/datasets/${name} (${packageName}); run pnpm install, then fill in README.md and src/.`);
