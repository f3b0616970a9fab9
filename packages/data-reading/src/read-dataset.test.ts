import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineTask } from '@polytask/core';
import { afterAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import type { DataReader, DatasetItem } from './data-reader';
import { ExtractionFailedError, ExtractionInterruptedError, readDataset } from './read-dataset';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-reading-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tone = defineTask({ name: 'tone', kind: 'multi-class', labels: ['low', 'high'] });
const loud = defineTask({ name: 'loud', kind: 'binary', labels: ['quiet', 'loud'] });

function writeCorpus(name: string, count: number): string {
  const directory = path.join(root, name);
  mkdirSync(directory, { recursive: true });
  for (let index = 0; index < count; index++) {
    const frequency = index % 2 ? 2000 : 300;
    const amplitude = index % 3 ? 0.8 : 0.1;
    const samples = Array.from({ length: 4000 + 160 * index }, (_, sample) =>
      Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequency * sample) / 16000)),
    );
    const wave = new WaveFile();
    wave.fromScratch(1, 16000, '16', samples);
    writeFileSync(path.join(directory, `clip-${index}.wav`), wave.toBuffer());
  }
  return directory;
}

function readerFor(directory: string, count: number, options: { split?: boolean; folds?: boolean } = {}): DataReader {
  return {
    specificationVersion: 'v1',
    name: path.basename(directory),
    tasks: [tone, loud],
    ...(options.folds ? { foldCount: 3 } : {}),
    async listItems(): Promise<DatasetItem[]> {
      return Array.from({ length: count }, (_, index) => ({
        id: `clip-${index}.wav`,
        path: path.join(directory, `clip-${index}.wav`),
        labels: { tone: index % 2 ? 'high' : 'low', loud: index % 3 ? 'loud' : 'quiet' },
        group: `speaker-${index % 4}`,
        ...(options.split ? { split: index < count - 2 ? ('train' as const) : ('test' as const) } : {}),
        ...(options.folds ? { fold: index % 3 } : {}),
        metadata: { take: index },
      }));
    },
  };
}

const logMel = { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 256, melBandCount: 32 } };

describe('readDataset', () => {
  it('extracts once, then loads from the cache; a changed parameter extracts again', async () => {
    const corpus = writeCorpus('cache-corpus', 6);
    const reader = readerFor(corpus, 6, { split: true });
    const cacheDirectory = path.join(root, 'cache-a');
    const first = await readDataset(reader, { extraction: logMel, cacheDirectory, workers: 2, progress: 'none' });
    expect(first.fromCache).toBe(false);
    expect(first.extractedCount).toBe(6);
    expect(first.dataset.size).toBe(6);
    expect(first.dataset.featuresOf(0).shape).toEqual([16, 32]);
    expect(first.dataset.featuresOf(5).shape).toEqual([19, 32]);
    expect(first.dataset.groupOf(5)).toBe('speaker-1');
    expect(first.dataset.metadataOf(5)).toEqual({ sourceFile: path.join(corpus, 'clip-5.wav'), take: 5 });
    expect([...first.dataset.targetsOf('tone', 5)]).toEqual([0, 1]);
    expect([...first.dataset.targetsOf('loud', 3)]).toEqual([0]);
    expect(first.dataset.predefinedSplit).toEqual({ kind: 'train-test', isTest: Uint8Array.from([0, 0, 0, 0, 1, 1]) });

    const second = await readDataset(reader, { extraction: logMel, cacheDirectory, workers: 2, progress: 'none' });
    expect(second.fromCache).toBe(true);
    expect(second.extractedCount).toBe(0);
    expect(second.cacheDirectory).toBe(first.cacheDirectory);
    expect(Array.from(second.dataset.featuresOf(3).data)).toEqual(Array.from(first.dataset.featuresOf(3).data));

    const changed = await readDataset(reader, {
      extraction: { ...logMel, params: { ...logMel.params, melBandCount: 40 } },
      cacheDirectory,
      workers: 2,
      progress: 'none',
    });
    expect(changed.fromCache).toBe(false);
    expect(changed.extractedCount).toBe(6);
    expect(changed.cacheDirectory).not.toBe(first.cacheDirectory);
    expect(changed.dataset.featuresOf(0).shape).toEqual([16, 40]);
  });

  it('gives the same features in worker processes and on this thread, in index mode too', async () => {
    const corpus = writeCorpus('threads-corpus', 5);
    const reader = readerFor(corpus, 5, { folds: true });
    const threaded = await readDataset(reader, {
      extraction: logMel,
      cacheDirectory: path.join(root, 'cache-threads'),
      workers: 2,
      progress: 'none',
    });
    const inline = await readDataset(reader, {
      extraction: logMel,
      cacheDirectory: path.join(root, 'cache-inline'),
      workers: 0,
      progress: 'none',
      indexMode: true,
    });
    expect(inline.dataset.storage).toBe('index');
    for (let index = 0; index < 5; index++)
      expect(Array.from(inline.dataset.featuresOf(index).data)).toEqual(Array.from(threaded.dataset.featuresOf(index).data));
    expect(threaded.dataset.predefinedSplit).toEqual({ kind: 'folds', foldCount: 3, fold: Int32Array.from([0, 1, 2, 0, 1]) });
    inline.dataset.close();
  });

  it('a worker process killed mid-item interrupts extraction without skipping or blaming the item; the next run goes on', async () => {
    const corpus = writeCorpus('killed-corpus', 8);
    const reader = readerFor(corpus, 8);
    const cacheDirectory = path.join(root, 'cache-killed');
    const options = { extraction: logMel, cacheDirectory, workers: 2, progress: 'none' as const, onError: 'skip' as const };
    process.env.POLYTASK_TEST_EXTRACTION_SIGNAL = 'clip-5.wav:SIGKILL';
    try {
      const failure = await readDataset(reader, options).catch((error: unknown) => error);
      expect(ExtractionInterruptedError.isInstance(failure)).toBe(true);
      expect((failure as Error).message).toMatch(/clip-5\.wav.*exited.*run again/);
    } finally {
      delete process.env.POLYTASK_TEST_EXTRACTION_SIGNAL;
    }
    const again = await readDataset(reader, options);
    expect(again.skipped).toEqual([]);
    expect(again.dataset.size).toBe(8);
    expect(again.extractedCount + again.resumedCount).toBe(8);
    const reference = await readDataset(reader, { ...options, cacheDirectory: path.join(root, 'cache-killed-reference'), workers: 0 });
    for (let index = 0; index < 8; index++)
      expect(Array.from(again.dataset.featuresOf(index).data)).toEqual(Array.from(reference.dataset.featuresOf(index).data));
  });

  it("a terminal's Ctrl-C or hang-up reaching a worker process does not stop extraction", async () => {
    const corpus = writeCorpus('interrupted-corpus', 6);
    const reader = readerFor(corpus, 6);
    for (const signal of ['SIGINT', 'SIGHUP']) {
      process.env.POLYTASK_TEST_EXTRACTION_SIGNAL = `clip-2.wav:${signal}`;
      try {
        const result = await readDataset(reader, {
          extraction: logMel,
          cacheDirectory: path.join(root, `cache-${signal}`),
          workers: 2,
          progress: 'none',
          onError: 'skip',
        });
        expect(result.skipped).toEqual([]);
        expect(result.dataset.size).toBe(6);
      } finally {
        delete process.env.POLYTASK_TEST_EXTRACTION_SIGNAL;
      }
    }
  });

  it('rebuilds a truncated cache instead of loading it', async () => {
    const corpus = writeCorpus('truncated-corpus', 3);
    const reader = readerFor(corpus, 3);
    const cacheDirectory = path.join(root, 'cache-truncated');
    const first = await readDataset(reader, { extraction: logMel, cacheDirectory, workers: 0, progress: 'none' });
    truncateSync(path.join(first.cacheDirectory, 'features.npy'), 100);
    const again = await readDataset(reader, { extraction: logMel, cacheDirectory, workers: 0, progress: 'none' });
    expect(again.fromCache).toBe(false);
    expect(again.extractedCount).toBe(3);
  });

  it('skips a corrupt file when asked, recording it in the result and the manifest', async () => {
    const corpus = writeCorpus('skip-corpus', 4);
    writeFileSync(path.join(corpus, 'clip-2.wav'), 'RIFF....WAVEjunk');
    const result = await readDataset(readerFor(corpus, 4), {
      extraction: logMel,
      cacheDirectory: path.join(root, 'cache-skip'),
      workers: 2,
      onError: 'skip',
      progress: 'none',
    });
    expect(result.dataset.size).toBe(3);
    expect(result.skipped).toEqual([
      { id: 'clip-2.wav', path: path.join(corpus, 'clip-2.wav'), reason: expect.stringContaining('clip-2.wav') },
    ]);
    const manifest = JSON.parse(readFileSync(path.join(result.cacheDirectory, 'manifest.json'), 'utf8'));
    expect(manifest.extra.skipped).toHaveLength(1);
    const cached = await readDataset(readerFor(corpus, 4), {
      extraction: logMel,
      cacheDirectory: path.join(root, 'cache-skip'),
      workers: 2,
      onError: 'skip',
      progress: 'none',
    });
    expect(cached.skipped).toHaveLength(1);
  });

  it('fails on a corrupt file by default, naming it, and keeps the work done for the next run', async () => {
    const corpus = writeCorpus('fail-corpus', 5);
    const good = readFileSync(path.join(corpus, 'clip-4.wav'));
    writeFileSync(path.join(corpus, 'clip-4.wav'), good.subarray(0, 60));
    const options = { extraction: logMel, cacheDirectory: path.join(root, 'cache-fail'), workers: 0, progress: 'none' as const };
    const attempt = readDataset(readerFor(corpus, 5), options);
    await expect(attempt).rejects.toThrow(ExtractionFailedError);
    await expect(attempt).rejects.toThrow(/clip-4\.wav.*truncated.*kept in .*\.partial/);
    writeFileSync(path.join(corpus, 'clip-4.wav'), good);
    const resumed = await readDataset(readerFor(corpus, 5), options);
    expect(resumed.resumedCount).toBe(4);
    expect(resumed.extractedCount).toBe(1);
    expect(resumed.dataset.size).toBe(5);
  });

  it('reports progress through a callback', async () => {
    const corpus = writeCorpus('progress-corpus', 3);
    const events: number[] = [];
    await readDataset(readerFor(corpus, 3), {
      extraction: logMel,
      cacheDirectory: path.join(root, 'cache-progress'),
      workers: 0,
      progress: (event) => events.push(event.done),
    });
    expect(events).toEqual([1, 2, 3]);
  });

  it('names reader mistakes: missing labels, duplicate ids, bad specs', async () => {
    const corpus = writeCorpus('bad-reader', 2);
    const reader = readerFor(corpus, 2);
    const missingLabel: DataReader = {
      ...reader,
      listItems: async () => [{ id: 'a', path: path.join(corpus, 'clip-0.wav'), labels: { tone: 'low' } }],
    };
    await expect(
      readDataset(missingLabel, { extraction: logMel, cacheDirectory: path.join(root, 'cache-bad'), progress: 'none' }),
    ).rejects.toThrow(/Item "a" of reader "bad-reader" has no label for task "loud"/);
    const duplicate: DataReader = { ...reader, listItems: async () => [...(await reader.listItems()), ...(await reader.listItems())] };
    await expect(
      readDataset(duplicate, { extraction: logMel, cacheDirectory: path.join(root, 'cache-bad'), progress: 'none' }),
    ).rejects.toThrow(/listed item "clip-0\.wav" twice/);
    const unknownLabel: DataReader = {
      ...reader,
      listItems: async () => [{ id: 'a', path: path.join(corpus, 'clip-0.wav'), labels: { tone: 'middle', loud: 'loud' } }],
    };
    await expect(
      readDataset(unknownLabel, { extraction: logMel, cacheDirectory: path.join(root, 'cache-bad'), progress: 'none' }),
    ).rejects.toThrow(/Item "a" of reader "bad-reader": Task "tone" has no label "middle"/);
    await expect(
      readDataset(reader, {
        extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 'big' } },
        cacheDirectory: path.join(root, 'cache-bad'),
      }),
    ).rejects.toThrow(/extraction\.params\.fftSize/);
  });

  it('reads regression targets from item.values into a float32 cache, and names the item of a NaN value', async () => {
    const corpus = writeCorpus('regression-corpus', 4);
    const level = defineTask({ name: 'level', kind: 'regression', outputs: ['frequency', 'amplitude'] });
    const values = (index: number) => [index % 2 ? 2000 : 300, index % 3 ? 0.8 : 0.1];
    const reader: DataReader = {
      specificationVersion: 'v1',
      name: 'levels',
      tasks: [tone, level],
      listItems: async () =>
        Array.from({ length: 4 }, (_, index) => ({
          id: `clip-${index}.wav`,
          path: path.join(corpus, `clip-${index}.wav`),
          labels: { tone: index % 2 ? 'high' : 'low' },
          values: { level: values(index) },
        })),
    };
    const cacheDirectory = path.join(root, 'cache-regression');
    const first = await readDataset(reader, { extraction: logMel, cacheDirectory, progress: 'none' });
    expect(Array.from(first.dataset.targetsOf('level', 3))).toEqual([2000, Math.fround(0.1)]);
    const second = await readDataset(reader, { extraction: logMel, cacheDirectory, progress: 'none' });
    expect(second.fromCache).toBe(true);
    expect(second.dataset.targetMatrix('level')).toEqual(first.dataset.targetMatrix('level'));
    expect(second.dataset.targetMatrix('tone')).toBeInstanceOf(Uint8Array);
    const broken: DataReader = {
      ...reader,
      name: 'broken-levels',
      listItems: async () =>
        (await reader.listItems()).map((item, index) => (index === 2 ? { ...item, values: { level: [Number.NaN, 1] } } : item)),
    };
    await expect(readDataset(broken, { extraction: logMel, cacheDirectory, progress: 'none' })).rejects.toThrow(
      /Item "clip-2\.wav" of dataset "broken-levels" has the target NaN for regression task "level"/,
    );
    const missing: DataReader = {
      ...reader,
      name: 'missing-levels',
      listItems: async () => [{ id: 'a', path: path.join(corpus, 'clip-0.wav'), labels: { tone: 'low' } }],
    };
    await expect(readDataset(missing, { extraction: logMel, cacheDirectory, progress: 'none' })).rejects.toThrow(
      /has no value for regression task "level"/,
    );
  });
});
