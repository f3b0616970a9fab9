import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineTask, StorageError } from '@polytask/core';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { WaveFile } from 'wavefile';
import type { DataReader } from './data-reader';
import { readDataset } from './read-dataset';

/** Write failure injected into node:fs: journal writes (writeSync) fail with this code while it is set. */
const injected = vi.hoisted(() => ({ code: undefined as string | undefined }));

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((...args: Parameters<typeof actual.writeSync>) => {
    if (injected.code) throw Object.assign(new Error(`${injected.code}: injected write failure`), { code: injected.code });
    return (actual.writeSync as (...writeArgs: unknown[]) => number)(...args);
  }) as typeof actual.writeSync;
  return { ...actual, default: { ...actual, writeSync }, writeSync };
});

const root = mkdtempSync(path.join(tmpdir(), 'polytask-reading-write-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  injected.code = undefined;
});

const tone = defineTask({ name: 'tone', kind: 'multi-class', labels: ['low', 'high'] });

function smallReader(): DataReader {
  const directory = path.join(root, 'corpus');
  mkdirSync(directory, { recursive: true });
  for (let index = 0; index < 2; index++) {
    const wave = new WaveFile();
    wave.fromScratch(
      1,
      16000,
      '16',
      Array.from({ length: 4000 }, (_, sample) => Math.round(8000 * Math.sin(sample / (3 + index)))),
    );
    writeFileSync(path.join(directory, `clip-${index}.wav`), wave.toBuffer());
  }
  return {
    specificationVersion: 'v1',
    name: 'corpus',
    options: { directory },
    tasks: [tone],
    listItems: async () =>
      [0, 1].map((index) => ({ id: `clip-${index}`, path: path.join(directory, `clip-${index}.wav`), labels: { tone: 'low' } })),
  };
}

const options = (cacheDirectory: string) => ({
  extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, melBandCount: 16 } },
  cacheDirectory,
  workers: 0,
  progress: 'none' as const,
});

describe('cache folders that cannot be written', () => {
  it('ends a full disk during journal writes in a StorageError naming the journal and the fix', async () => {
    const cacheDirectory = path.join(root, 'full');
    injected.code = 'ENOSPC';
    const attempt = readDataset(smallReader(), options(cacheDirectory));
    await expect(attempt).rejects.toThrow(StorageError);
    await expect(attempt).rejects.toThrow(
      /Cannot write the feature cache at .*\.partial.*journal\.(bin|jsonl): the disk \(or quota\) is full: free space .* \(ENOSPC\); cacheDirectory chooses the folder/,
    );
    injected.code = undefined;
    // nothing half-written is left as a cache, and the lock is given back: the next run succeeds
    const readerDirectory = path.join(cacheDirectory, 'corpus');
    expect(readdirSync(readerDirectory).filter((name) => name.includes('.tmp-') || name.endsWith('.lock'))).toEqual([]);
    const next = await readDataset(smallReader(), options(cacheDirectory));
    expect(next.dataset.size).toBe(2);
  });

  it('ends a folder it may not write (EACCES) in a StorageError', async () => {
    const cacheDirectory = path.join(root, 'read-only');
    mkdirSync(cacheDirectory);
    // root may write anywhere: inject the error the folder would give
    if (process.getuid?.() === 0) injected.code = 'EACCES';
    else chmodSync(cacheDirectory, 0o555);
    try {
      await expect(readDataset(smallReader(), options(cacheDirectory))).rejects.toThrow(
        /may not write there.*\(EACCES\); cacheDirectory chooses the folder/,
      );
    } finally {
      chmodSync(cacheDirectory, 0o755);
    }
    expect(
      existsSync(path.join(cacheDirectory, 'corpus'))
        ? readdirSync(path.join(cacheDirectory, 'corpus')).filter((name) => name.includes('.tmp-'))
        : [],
    ).toEqual([]);
  });
});
