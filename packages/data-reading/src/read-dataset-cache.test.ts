import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defineTask } from '@polytask/core';
import { InvalidCacheError, loadTaskDataset } from '@polytask/task-dataset';
import { afterAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import type { DataReader, DatasetItem } from './data-reader';
import { CacheLockedError } from './internal/cache-lock';
import { ExtractionFailedError, readDataset } from './read-dataset';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-cache-safety-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tone = defineTask({ name: 'tone', kind: 'multi-class', labels: ['low', 'high'] });
const logMel = { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 256, melBandCount: 16 } };

function waveBytes(options: { frequency: number; sampleCount: number; amplitude?: number }): Buffer {
  const samples = Array.from({ length: options.sampleCount }, (_, sample) =>
    Math.round((options.amplitude ?? 0.5) * 32767 * Math.sin((2 * Math.PI * options.frequency * sample) / 16000)),
  );
  const wave = new WaveFile();
  wave.fromScratch(1, 16000, '16', samples);
  return Buffer.from(wave.toBuffer());
}

/** Writes `count` clips; `base` shifts every frequency, so two corpora with the same names differ. */
function writeCorpus(name: string, count: number, base = 300): string {
  const directory = path.join(root, name);
  mkdirSync(directory, { recursive: true });
  for (let index = 0; index < count; index++)
    writeFileSync(
      path.join(directory, `clip-${index}.wav`),
      waveBytes({ frequency: base + 130 * index, sampleCount: 4000 + 160 * index + (count > 6 ? 12000 : 0) }),
    );
  return directory;
}

/** A reader named `corpus` whatever its folder, as a reader package gives one name to every copy of its corpus. */
function readerFor(directory: string, count: number): DataReader {
  return {
    specificationVersion: 'v1',
    name: 'corpus',
    options: { directory },
    tasks: [tone],
    async listItems(): Promise<DatasetItem[]> {
      return Array.from({ length: count }, (_, index) => ({
        id: `clip-${index}.wav`,
        path: path.join(directory, `clip-${index}.wav`),
        labels: { tone: index % 2 ? 'high' : 'low' },
      }));
    },
  };
}

const features = (result: Awaited<ReturnType<typeof readDataset>>) =>
  Array.from({ length: result.dataset.size }, (_, index) => Array.from(result.dataset.featuresOf(index).data));

const quiet = { extraction: logMel, workers: 0, progress: 'none' as const };

/** A pid no process has: one of a process that has ended. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid as number;
}

describe('the cache key covers everything that determines the features', () => {
  it('does not reuse the cache of another corpus folder read by the same reader', async () => {
    const cacheDirectory = path.join(root, 'cache-folders');
    const first = writeCorpus('folder-a', 3, 300);
    const second = writeCorpus('folder-b', 3, 900);
    const fromFirst = await readDataset(readerFor(first, 3), { ...quiet, cacheDirectory });
    const fromSecond = await readDataset(readerFor(second, 3), { ...quiet, cacheDirectory });
    expect(fromSecond.fromCache).toBe(false);
    expect(features(fromSecond)).not.toEqual(features(fromFirst));
    expect(path.dirname(fromSecond.cacheDirectory)).toBe(path.join(cacheDirectory, 'corpus'));
    const again = await readDataset(readerFor(first, 3), { ...quiet, cacheDirectory });
    expect(again.fromCache).toBe(true);
    expect(features(again)).toEqual(features(fromFirst));
  });

  it('does not reuse the cache of a reader with other options when its audio comes from readAudio', async () => {
    const generated = (frequency: number): DataReader => ({
      specificationVersion: 'v1',
      name: 'generated',
      options: { frequency },
      tasks: [tone],
      listItems: async () => [0, 1].map((index) => ({ id: `tone-${index}`, labels: { tone: 'low' } })),
      readAudio: async () => ({
        sampleRate: 16000,
        channels: [Float32Array.from({ length: 4000 }, (_, sample) => Math.sin((2 * Math.PI * frequency * sample) / 16000))],
      }),
    });
    const cacheDirectory = path.join(root, 'cache-generated');
    const low = await readDataset(generated(300), { ...quiet, cacheDirectory });
    const high = await readDataset(generated(3000), { ...quiet, cacheDirectory });
    expect(high.fromCache).toBe(false);
    expect(features(high)).not.toEqual(features(low));
    expect(high.cacheInputs.readerOptions).toEqual({ frequency: 3000 });
  });

  it('extracts an edited or replaced file again (size and modification time), or on content with sourceCheck: content', async () => {
    const corpus = writeCorpus('edited', 3);
    const cacheDirectory = path.join(root, 'cache-edited');
    const original = await readDataset(readerFor(corpus, 3), { ...quiet, cacheDirectory });
    const file = path.join(corpus, 'clip-1.wav');
    const { mtime } = statSync(file);
    // same size, other sound
    writeFileSync(file, waveBytes({ frequency: 5000, sampleCount: 4160 }));
    utimesSync(file, mtime, new Date(mtime.getTime() + 5000));
    const edited = await readDataset(readerFor(corpus, 3), { ...quiet, cacheDirectory });
    expect(edited.fromCache).toBe(false);
    expect(edited.extractedCount).toBe(3);
    expect(features(edited)[1]).not.toEqual(features(original)[1]);
    expect(features(edited)[0]).toEqual(features(original)[0]);
    // the superseded cache of the same extraction is removed
    expect(existsSync(original.cacheDirectory)).toBe(false);

    // content changed but size and time restored: only a content check sees it
    const { mtime: editedTime } = statSync(file);
    writeFileSync(file, waveBytes({ frequency: 6000, sampleCount: 4160 }));
    utimesSync(file, editedTime, editedTime);
    const byTime = await readDataset(readerFor(corpus, 3), { ...quiet, cacheDirectory });
    expect(byTime.fromCache).toBe(true);
    const byContent = await readDataset(readerFor(corpus, 3), { ...quiet, cacheDirectory, sourceCheck: 'content' });
    expect(byContent.fromCache).toBe(false);
    expect(byContent.cacheInputs.sourceCheck).toBe('content');
    expect(features(byContent)[1]).not.toEqual(features(edited)[1]);
    expect(features(byContent)[2]).toEqual(features(edited)[2]);
  });

  it('ignores extraction parameters without effect, and records what went into the key in the manifest', async () => {
    const corpus = writeCorpus('normalised', 2);
    const cacheDirectory = path.join(root, 'cache-normalised');
    const mfcc = (deltaWidth: number) => ({ name: 'mfcc', sampleRate: 16000, params: { fftSize: 512, deltaOrder: 0, deltaWidth } });
    const first = await readDataset(readerFor(corpus, 2), { ...quiet, cacheDirectory, extraction: mfcc(5) });
    const second = await readDataset(readerFor(corpus, 2), { ...quiet, cacheDirectory, extraction: mfcc(7) });
    expect(second.fromCache).toBe(true);
    expect(second.cacheDirectory).toBe(first.cacheDirectory);
    const manifest = JSON.parse(readFileSync(path.join(first.cacheDirectory, 'manifest.json'), 'utf8'));
    expect(manifest.extra.cacheInputs).toMatchObject({
      reader: 'corpus',
      readerOptions: { directory: corpus },
      spec: { name: 'mfcc', params: expect.not.objectContaining({ deltaWidth: expect.anything() }) },
      itemCount: 2,
      fileCount: 2,
      sourceCheck: 'mtime',
      sourceFingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(path.basename(first.cacheDirectory)).toBe(`${first.cacheInputs.extractionKey}-${path.basename(first.cacheDirectory).slice(17)}`);
  });
});

describe('damaged caches are rebuilt and reported', () => {
  it('rebuilds a cache whose examples.json no longer parses (sizes unchanged), reporting why', async () => {
    const corpus = writeCorpus('damaged-examples', 3);
    const cacheDirectory = path.join(root, 'cache-damaged-examples');
    const first = await readDataset(readerFor(corpus, 3), { ...quiet, cacheDirectory });
    const examples = path.join(first.cacheDirectory, 'examples.json');
    writeFileSync(examples, '#'.repeat(statSync(examples).size));
    const lines: string[] = [];
    const second = await readDataset(readerFor(corpus, 3), { ...quiet, cacheDirectory, log: (line) => lines.push(line) });
    expect(second.fromCache).toBe(false);
    expect(second.rebuiltReason).toMatch(/examples\.json does not match its SHA-256/);
    expect(lines.join('\n')).toMatch(/is invalid \(examples\.json does not match its SHA-256.*\); it is removed and rebuilt/);
    expect(features(second)).toEqual(features(first));
    const third = await readDataset(readerFor(corpus, 3), { ...quiet, cacheDirectory });
    expect(third.fromCache).toBe(true);
  });

  it('marks a cache whose features are found damaged in index mode, so the next run rebuilds it', async () => {
    const corpus = writeCorpus('damaged-index', 3);
    const cacheDirectory = path.join(root, 'cache-damaged-index');
    const first = await readDataset(readerFor(corpus, 3), { ...quiet, cacheDirectory, indexMode: true, cacheBytes: 0 });
    const file = path.join(first.cacheDirectory, 'features.npy');
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0x10;
    writeFileSync(file, bytes);
    expect(() => first.dataset.featuresOf(2)).toThrow(InvalidCacheError);
    expect(() => first.dataset.featuresOf(2)).toThrow(/features\.npy is damaged: example 2 \("clip-2\.wav"\)/);
    first.dataset.close();
    const second = await readDataset(readerFor(corpus, 3), { ...quiet, cacheDirectory, indexMode: true });
    expect(second.rebuiltReason).toMatch(/marked damaged \(features\.npy is damaged: example 2/);
    expect(second.dataset.featuresOf(2).shape).toEqual([17, 16]);
    second.dataset.close();
  });
});

describe('concurrent and interrupted use', () => {
  it('removes temporary folders and journals of dead processes when the cache is next used', async () => {
    const corpus = writeCorpus('leftovers', 2);
    const cacheDirectory = path.join(root, 'cache-leftovers');
    const first = await readDataset(readerFor(corpus, 2), { ...quiet, cacheDirectory });
    const readerDirectory = path.dirname(first.cacheDirectory);
    const dead = deadPid();
    const leftovers = [
      `${path.basename(first.cacheDirectory)}.tmp-${dead}-abc123`,
      `${path.basename(first.cacheDirectory)}.old-${dead}-def456`,
      '0123456789abcdef.partial',
      '0123456789abcdef-0123456789abcdef.tmp-1-xyz',
    ];
    for (const name of leftovers) mkdirSync(path.join(readerDirectory, name));
    const alive = `${path.basename(first.cacheDirectory)}.tmp-${process.pid}-live`;
    mkdirSync(path.join(readerDirectory, alive));
    const lines: string[] = [];
    const second = await readDataset(readerFor(corpus, 2), { ...quiet, cacheDirectory, log: (line) => lines.push(line) });
    expect(second.fromCache).toBe(true);
    const remaining = readdirSync(readerDirectory).sort();
    // pid 1 is alive (init): its temporary folder stays
    expect(remaining).toEqual([path.basename(first.cacheDirectory), alive, '0123456789abcdef-0123456789abcdef.tmp-1-xyz'].sort());
    expect(lines.join('\n')).toMatch(/removed 3 leftover/);
  });

  it('takes over a lock left by a dead process, and gives up on a live holder after the allowed wait', async () => {
    const corpus = writeCorpus('locks', 2);
    const cacheDirectory = path.join(root, 'cache-locks');
    const probe = await readDataset(readerFor(corpus, 2), { ...quiet, cacheDirectory });
    rmSync(probe.cacheDirectory, { recursive: true });
    const lockFile = `${path.join(path.dirname(probe.cacheDirectory), probe.cacheInputs.extractionKey)}.lock`;
    writeFileSync(lockFile, JSON.stringify({ pid: deadPid(), host: hostname(), since: '2026-01-01T00:00:00Z' }));
    const taken = await readDataset(readerFor(corpus, 2), { ...quiet, cacheDirectory });
    expect(taken.fromCache).toBe(false);
    expect(taken.waitedForLock).toBe(false);
    expect(existsSync(lockFile)).toBe(false);

    rmSync(taken.cacheDirectory, { recursive: true });
    writeFileSync(lockFile, JSON.stringify({ pid: 1, host: 'another-host', since: '2026-01-01T00:00:00Z' }));
    const lines: string[] = [];
    const attempt = readDataset(readerFor(corpus, 2), { ...quiet, cacheDirectory, lockWaitSeconds: 0, log: (line) => lines.push(line) });
    await expect(attempt).rejects.toThrow(CacheLockedError);
    await expect(attempt).rejects.toThrow(/being built by process 1 on another-host.*delete .*\.lock/);
    expect(lines[0]).toMatch(/waiting for process 1 on another-host/);
    rmSync(lockFile);
  });

  it('lets two processes extract the same corpus into one cache: one waits, both end with the right features', async () => {
    // enough audio that the second process starts while the first extracts
    const corpus = writeCorpus('two-processes', 24);
    const single = await readDataset(readerFor(corpus, 24), { ...quiet, cacheDirectory: path.join(root, 'cache-single') });
    const built = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;
    const script = path.join(root, 'extract.mjs');
    writeFileSync(
      script,
      `import path from 'node:path';
const { readDataset } = await import(${JSON.stringify(built)});
const [corpus, cacheDirectory] = process.argv.slice(2);
const reader = {
  specificationVersion: 'v1',
  name: 'corpus',
  options: { directory: corpus },
  tasks: [{ name: 'tone', kind: 'multi-class', labels: ['low', 'high'] }],
  listItems: async () => Array.from({ length: 24 }, (_, index) => ({
    id: 'clip-' + index + '.wav',
    path: path.join(corpus, 'clip-' + index + '.wav'),
    labels: { tone: index % 2 ? 'high' : 'low' },
  })),
};
const result = await readDataset(reader, { extraction: ${JSON.stringify(logMel)}, cacheDirectory, workers: 0, progress: 'none', log: () => {} });
const features = Array.from({ length: result.dataset.size }, (_, index) => Array.from(result.dataset.featuresOf(index).data));
process.stdout.write(JSON.stringify({ features, fromCache: result.fromCache, waited: result.waitedForLock }));
`,
    );
    const cacheDirectory = path.join(root, 'cache-shared');
    const run = () =>
      new Promise<{ code: number | null; output: string; errors: string }>((resolve) => {
        const child = spawn(process.execPath, [script, corpus, cacheDirectory], { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        let errors = '';
        child.stdout.on('data', (chunk) => {
          output += chunk;
        });
        child.stderr.on('data', (chunk) => {
          errors += chunk;
        });
        child.on('close', (code) => resolve({ code, output, errors }));
      });
    const results = await Promise.all([run(), run()]);
    for (const result of results) {
      expect(result.code, result.errors).toBe(0);
      expect(JSON.parse(result.output).features).toEqual(features(single));
    }
    const cached = await readDataset(readerFor(corpus, 24), { ...quiet, cacheDirectory });
    expect(cached.fromCache).toBe(true);
    expect(features(cached)).toEqual(features(single));
    expect(readdirSync(path.dirname(cached.cacheDirectory)).filter((name) => name !== path.basename(cached.cacheDirectory))).toEqual([]);
    const loaded = await loadTaskDataset(cached.cacheDirectory, { verification: 'checksums' });
    expect(loaded.size).toBe(24);
  }, 60_000);
});

describe('clips of a useless length', () => {
  it.each([0, 2])('fails on a 1 ms clip naming the file and what to do (%s workers)', async (workers) => {
    const corpus = writeCorpus(`short-${workers}`, 3);
    writeFileSync(path.join(corpus, 'clip-1.wav'), waveBytes({ frequency: 440, sampleCount: 16 }));
    const attempt = readDataset(readerFor(corpus, 3), { ...quiet, workers, cacheDirectory: path.join(root, `cache-short-${workers}`) });
    await expect(attempt).rejects.toThrow(ExtractionFailedError);
    await expect(attempt).rejects.toThrow(
      /clip-1\.wav: the clip is 0\.001 s long, shorter than the 0\.016 s the "log-mel" extraction needs/,
    );
  });

  it('fails on a clip longer than maximumAudioSeconds', async () => {
    const corpus = writeCorpus('long', 2);
    const attempt = readDataset(readerFor(corpus, 2), {
      ...quiet,
      maximumAudioSeconds: 0.1,
      cacheDirectory: path.join(root, 'cache-long'),
    });
    await expect(attempt).rejects.toThrow(/clip-0\.wav: the clip is 0\.25 s long, more than the 0\.1 s allowed \(maximumAudioSeconds\)/);
  });
});
