#!/usr/bin/env node
/**
 * `pnpm docs:readers`: writes each dataset reader package's options table (from its built
 * `readerOptionsSchema`) into its README, between the `options` markers. Build first
 * (`pnpm build`). Each reader's `src/options-documentation.test.ts` fails when its README is not current.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const script = 'scripts/generate-reader-docs.mjs';
const require = (name) => path.join(root, 'packages', name, 'dist', 'index.js');
const { replaceGeneratedSections } = await import(pathToFileURL(require('core')).href);
const { readerOptionsMarkdown } = await import(pathToFileURL(require('data-reading')).href);
const folder = path.join(root, 'packages', 'datasets');
const written = [];
for (const name of readdirSync(folder)) {
  const entry = path.join(folder, name, 'dist', 'index.js');
  const readme = path.join(folder, name, 'README.md');
  if (!existsSync(entry) || !existsSync(readme)) continue;
  const { readerOptionsSchema } = await import(pathToFileURL(entry).href);
  if (!readerOptionsSchema) continue;
  const text = replaceGeneratedSections(readFileSync(readme, 'utf8'), { options: readerOptionsMarkdown(readerOptionsSchema) }, script);
  writeFileSync(`${readme}.tmp`, text);
  renameSync(`${readme}.tmp`, readme);
  written.push(readme);
}
try {
  execFileSync('pnpm', ['exec', 'biome', 'format', '--write', ...written], { cwd: root, stdio: 'ignore' });
} catch {
  // no biome: the unaligned tables are as valid
}
console.log(`wrote ${written.map((file) => path.relative(root, file)).join(', ')}`);
