/**
 * Several processes asking for one corpus at once (parallel units, job arrays sharing the data
 * folder) generate it once: no WAV file is written after the metadata that marks the corpus
 * complete, so no process reads a file another is rewriting. Runs the built package.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-synthetic-concurrent-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
// the built core beside this package (its `tryLockFile`), as another process would load it
const core = fileURLToPath(new URL('../../../core/dist/index.js', import.meta.url));

function generateInChild(corpus: 'voices' | 'scenes', directory: string): Promise<number | null> {
  const options = corpus === 'voices' ? { directory, clipsPerSpeakerAndKeyword: 2 } : { corpus, directory, clipsPerSiteAndScene: 2 };
  const script = `const m = await import(${JSON.stringify(built)}); m.createReader(${JSON.stringify(options)}); console.log('done');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => child.on('close', resolve));
}

it.skipIf(!existsSync(built))(
  'four processes creating one corpus at once generate it once, metadata last',
  async () => {
    for (const corpus of ['voices', 'scenes'] as const) {
      const directory = path.join(root, corpus);
      expect(await Promise.all([1, 2, 3, 4].map(() => generateInChild(corpus, directory)))).toEqual([0, 0, 0, 0]);
      const metadata = statSync(path.join(directory, 'metadata.csv')).mtimeMs;
      const files = (readdirSync(directory, { recursive: true, encoding: 'utf8' }) as string[]).filter((file) => file.endsWith('.wav'));
      expect(files.length).toBeGreaterThan(10);
      for (const file of files) expect(statSync(path.join(directory, file)).mtimeMs).toBeLessThanOrEqual(metadata);
      // the lock is given back
      expect(existsSync(path.join(directory, '.generate.lock'))).toBe(false);
    }
  },
  120_000,
);

it.skipIf(!existsSync(built))(
  'a process waits while another holds the generation lock, then generates',
  async () => {
    const directory = path.join(root, 'held');
    // another live process holds the lock for 3 s
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { tryLockFile } = await import(${JSON.stringify(core)}); const fs = await import('node:fs'); fs.mkdirSync(${JSON.stringify(directory)}, { recursive: true }); const lock = tryLockFile(${JSON.stringify(path.join(directory, '.generate.lock'))}); console.log('held'); setTimeout(() => lock.release(), 3000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((resolve) => holder.stdout?.once('data', resolve));
    const generator = generateInChild('voices', directory);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // nothing generated while the lock is held
    expect(existsSync(path.join(directory, 'metadata.csv'))).toBe(false);
    expect(existsSync(path.join(directory, 'clips'))).toBe(false);
    expect(await generator).toBe(0);
    expect(existsSync(path.join(directory, 'metadata.csv'))).toBe(true);
  },
  120_000,
);
