#!/usr/bin/env node
/**
 * Writes the generated parts of README.md (between `<!-- generated:<name>:start -->` and
 * `<!-- generated:<name>:end -->`) from the built package: `cli` (every command's --help).
 * Run after `pnpm build`: `node scripts/generate-docs.mjs`. `src/readme-sections.test.ts` fails
 * when the README is not current.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { updateReadme } = await import(path.join(root, 'dist', 'readme-sections.js'));
const file = path.join(root, 'README.md');
const text = updateReadme(readFileSync(file, 'utf8'));
writeFileSync(`${file}.tmp`, text);
renameSync(`${file}.tmp`, file);
// lay the tables out as the repository formatter does (the test compares cells, not spacing)
try {
  execFileSync('pnpm', ['exec', 'biome', 'format', '--write', file], { stdio: 'ignore' });
} catch {
  // no biome here: the unaligned tables are as valid
}
console.log(`wrote ${path.relative(process.cwd(), file)}`);
