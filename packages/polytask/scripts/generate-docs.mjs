#!/usr/bin/env node
/**
 * Writes the generated parts of README.md (between `<!-- generated:<name>:start -->` and
 * `<!-- generated:<name>:end -->`) from the built package: `cli` (every command's --help).
 * Run after `pnpm build`: `node scripts/generate-docs.mjs`. `src/readme-reference.test.ts` fails
 * when the README is not current.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { generatedReadmeSections, replaceGeneratedSections } = await import(path.join(root, 'dist', 'readme-sections.js'));
const file = path.join(root, 'README.md');
const text = replaceGeneratedSections(readFileSync(file, 'utf8'), generatedReadmeSections());
writeFileSync(`${file}.tmp`, text);
renameSync(`${file}.tmp`, file);
console.log(`wrote ${path.relative(process.cwd(), file)}`);
