/**
 * The generated sections of this package's README: text that is derived from the code (the CLI's
 * help, the config reference) and must not drift from it. scripts/generate-docs.mjs writes them;
 * a test compares (with `generatedSection` and `normalizeMarkdownTables` from @polytask/core).
 */
import { replaceGeneratedSections } from '@polytask/core';
import { cliReferenceMarkdown } from './cli';
import { configReferenceMarkdown } from './config-reference';

/** The script that writes the sections, named in their markers. */
export const readmeScript = 'scripts/generate-docs.mjs';

/** Each generated section's Markdown by name (`cli`, `config`). */
export function generatedReadmeSections(): Record<string, string> {
  return { cli: cliReferenceMarkdown(), config: configReferenceMarkdown() };
}

/** `readme` with its generated sections current. */
export function updateReadme(readme: string): string {
  return replaceGeneratedSections(readme, generatedReadmeSections(), readmeScript);
}
