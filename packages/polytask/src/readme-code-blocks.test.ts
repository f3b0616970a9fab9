import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExperimentConfig } from './experiment-config';

const packageDirectory = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(path.join(packageDirectory, 'README.md'), 'utf8');
const blocks = (info: string) =>
  [...readme.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].filter((match) => match[1]?.trim() === info).map((match) => match[2] as string);
// the blocks run from a folder inside the package, importing `polytask` from its source
const scratch = path.join(packageDirectory, 'src', '.readme-blocks');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('README code blocks', () => {
  it.each(blocks('ts runnable').map((code, index) => [index + 1, code] as const))('runnable block %i runs', async (index, code) => {
    mkdirSync(scratch, { recursive: true });
    const file = path.join(scratch, `block-${index}.ts`);
    writeFileSync(file, code.replaceAll(/from 'polytask'/g, `from '${path.join(packageDirectory, 'src', 'index.ts')}'`));
    await expect(import(pathToFileURL(file).href)).resolves.toBeDefined();
  });

  it('has runnable blocks, and every experiment config in it is valid', () => {
    expect(blocks('ts runnable').length).toBeGreaterThanOrEqual(2);
    const configs = blocks('json').filter((code) => code.includes('"datasets"'));
    expect(configs.length).toBeGreaterThanOrEqual(1);
    for (const config of configs) expect(() => parseExperimentConfig(JSON.parse(config))).not.toThrow();
  });
});
