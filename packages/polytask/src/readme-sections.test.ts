import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedSection, normalizeMarkdownTables as normalizeTables } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import { booleanFlags, commandHelp, commandHelpText, valueFlags } from './cli';
import { configDescriptions } from './config-descriptions';
import { configReferenceRows } from './config-reference';
import { generatedReadmeSections, readmeScript, updateReadme } from './readme-sections';

const readme = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');

describe('README generated sections', () => {
  it.each(Object.keys(generatedReadmeSections()))(
    'the %s section is current (else: pnpm build && node scripts/generate-docs.mjs)',
    (name) => {
      expect(normalizeTables(generatedSection(readme, name, readmeScript) ?? '')).toBe(
        normalizeTables(generatedReadmeSections()[name] ?? ''),
      );
    },
  );

  it("every option the parser accepts is described in some command's --help", () => {
    const texts = Object.keys(commandHelp).map(commandHelpText).join('\n');
    for (const option of [...valueFlags, ...booleanFlags].filter((name) => name !== '--help'))
      expect(texts).toMatch(new RegExp(`^  ${option}\\b`, 'm'));
  });

  it('updating is idempotent', () => {
    const once = updateReadme(readme);
    expect(updateReadme(once)).toBe(once);
  });
});

describe('config reference', () => {
  it('describes every key of the experiment config schema, and nothing else', () => {
    const paths = new Set(configReferenceRows().map((row) => row.path));
    expect([...paths].filter((key) => !configDescriptions[key])).toEqual([]);
    expect(Object.keys(configDescriptions).filter((key) => !paths.has(key))).toEqual([]);
  });

  it('gives types, allowed values and defaults from the schema', () => {
    const rows = configReferenceRows();
    expect(rows.find((row) => row.path === 'training.epochs')).toMatchObject({ type: 'integer > 0', defaultValue: 20 });
    expect(rows.find((row) => row.path === 'model.filters')?.variants).toEqual(['cnn', 'cross-stitch-cnn', 'mtan']);
    expect(rows.find((row) => row.path === 'extraction.sampleRate')).toMatchObject({ required: true });
  });
});
