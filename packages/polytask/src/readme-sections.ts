/**
 * The generated sections of this package's README: text that is derived from the code (the CLI's
 * help, the config reference) and must not drift from it. scripts/generate-docs.mjs writes them; a test compares.
 */
import { PolytaskError } from '@polytask/core';
import { cliReferenceMarkdown } from './cli';
import { configReferenceMarkdown } from './config-reference';

/** Each generated section's Markdown by name (`cli`, `config`). */
export function generatedReadmeSections(): Record<string, string> {
  return { cli: cliReferenceMarkdown(), config: configReferenceMarkdown() };
}

const marker = (name: string, end: 'start' | 'end') => `<!-- generated:${name}:${end} (scripts/generate-docs.mjs) -->`;

/** The Markdown between a section's markers in `text`; undefined when the markers are missing. */
export function generatedSection(text: string, name: string): string | undefined {
  const start = text.indexOf(marker(name, 'start'));
  const end = text.indexOf(marker(name, 'end'));
  if (start < 0 || end < start) return undefined;
  return text.slice(start + marker(name, 'start').length, end).trim();
}

/**
 * `markdown` with its tables' cells trimmed and separator cells as `---`, so a table laid out by a
 * formatter (biome aligns the README's columns) compares equal to the generated one.
 */
export function normalizeTables(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) => {
      if (!line.startsWith('|')) return line;
      const cells = line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim());
      return `| ${cells.map((cell) => (/^:?-+:?$/.test(cell) ? '---' : cell)).join(' | ')} |`;
    })
    .join('\n');
}

/** `text` with every section's content replaced; throws when a section's markers are missing. */
export function replaceGeneratedSections(text: string, sections: Readonly<Record<string, string>>): string {
  let result = text;
  for (const [name, content] of Object.entries(sections)) {
    const start = result.indexOf(marker(name, 'start'));
    const end = result.indexOf(marker(name, 'end'));
    if (start < 0 || end < start)
      throw new PolytaskError({
        message: `README.md has no ${marker(name, 'start')} … ${marker(name, 'end')} pair; add it where the section belongs.`,
      });
    result = `${result.slice(0, start + marker(name, 'start').length)}\n\n${content}\n\n${result.slice(end)}`;
  }
  return result;
}
