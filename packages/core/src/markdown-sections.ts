/**
 * Generated sections of Markdown files: text derived from code (a CLI's help, a schema's options)
 * between `<!-- generated:<name>:start (<script>) -->` and `<!-- generated:<name>:end (<script>) -->`,
 * written by a script and compared by a test, so documentation cannot drift from the code.
 */
import { PolytaskError } from './polytask-error';

/** The start or end marker of a generated section written by `script`. */
export function generatedSectionMarker(name: string, end: 'start' | 'end', script: string): string {
  return `<!-- generated:${name}:${end} (${script}) -->`;
}

/** The Markdown between a section's markers in `text` (trimmed); undefined when the markers are missing. */
export function generatedSection(text: string, name: string, script: string): string | undefined {
  const start = text.indexOf(generatedSectionMarker(name, 'start', script));
  const end = text.indexOf(generatedSectionMarker(name, 'end', script));
  if (start < 0 || end < start) return undefined;
  return text.slice(start + generatedSectionMarker(name, 'start', script).length, end).trim();
}

/** `text` with each section's content replaced; throws a PolytaskError when a section's markers are missing. */
export function replaceGeneratedSections(text: string, sections: Readonly<Record<string, string>>, script: string): string {
  let result = text;
  for (const [name, content] of Object.entries(sections)) {
    const startMarker = generatedSectionMarker(name, 'start', script);
    const endMarker = generatedSectionMarker(name, 'end', script);
    const start = result.indexOf(startMarker);
    const end = result.indexOf(endMarker);
    if (start < 0 || end < start)
      throw new PolytaskError({ message: `No ${startMarker} … ${endMarker} pair; add it where the section belongs.` });
    result = `${result.slice(0, start + startMarker.length)}\n\n${content}\n\n${result.slice(end)}`;
  }
  return result;
}

/**
 * `markdown` with its tables' cells trimmed and separator cells as `---`, so a table laid out by a
 * formatter (aligned columns) compares equal to the generated one.
 */
export function normalizeMarkdownTables(markdown: string): string {
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
