import { describe, expect, it } from 'vitest';
import { generatedSection, normalizeMarkdownTables, replaceGeneratedSections } from './markdown-sections';

const script = 'scripts/docs.mjs';

describe('generated Markdown sections', () => {
  it('replaces a section between its markers, idempotently, and reads it back', () => {
    const text =
      '# Title\n\n<!-- generated:table:start (scripts/docs.mjs) -->\nold\n<!-- generated:table:end (scripts/docs.mjs) -->\n\nafter\n';
    const once = replaceGeneratedSections(text, { table: '| a | b |' }, script);
    expect(generatedSection(once, 'table', script)).toBe('| a | b |');
    expect(replaceGeneratedSections(once, { table: '| a | b |' }, script)).toBe(once);
    expect(once.endsWith('after\n')).toBe(true);
  });

  it('names the missing markers', () => {
    expect(() => replaceGeneratedSections('# nothing', { table: 'x' }, script)).toThrow(/generated:table:start \(scripts\/docs\.mjs\)/);
    expect(generatedSection('# nothing', 'table', script)).toBeUndefined();
  });

  it('compares tables by their cells, not their layout', () => {
    expect(normalizeMarkdownTables('| a   | b \\| c |\n| --- | ------ |')).toBe(normalizeMarkdownTables('| a | b \\| c |\n|---|---|'));
    expect(normalizeMarkdownTables('| a | b |')).not.toBe(normalizeMarkdownTables('| a | c |'));
  });
});
