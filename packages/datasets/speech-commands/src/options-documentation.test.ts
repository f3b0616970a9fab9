import { readFileSync } from 'node:fs';
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
