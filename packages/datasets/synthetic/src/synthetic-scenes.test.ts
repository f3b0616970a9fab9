import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataFormatError, MissingFileError } from '@polytask/core';
import { readDataset } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { generateSyntheticCorpus } from './synthetic-corpus';
import { createSyntheticScenesReader, generateSyntheticScenes, syntheticScenesTasks } from './synthetic-scenes';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-synthetic-scenes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const read = (directory: string, file: string) => readFileSync(path.join(directory, file));

describe('generateSyntheticScenes', () => {
  it('writes the same corpus for a seed and another one for another seed, at 22050 Hz', () => {
    const first = generateSyntheticScenes({ directory: path.join(root, 'a'), clipsPerSiteAndScene: 2, seconds: 0.25 });
    const second = generateSyntheticScenes({ directory: path.join(root, 'b'), clipsPerSiteAndScene: 2, seconds: 0.25 });
    const reseeded = generateSyntheticScenes({ directory: path.join(root, 'c'), clipsPerSiteAndScene: 2, seconds: 0.25, seed: 7 });
    expect(read(first, 'metadata.csv').toString()).toBe(read(second, 'metadata.csv').toString());
    expect(read(first, 'sites/site-3/rain-1.wav').equals(read(second, 'sites/site-3/rain-1.wav'))).toBe(true);
    expect(read(first, 'sites/site-3/rain-1.wav').equals(read(reseeded, 'sites/site-3/rain-1.wav'))).toBe(false);
    const wave = new wavefile.WaveFile(read(first, 'sites/site-3/rain-1.wav'));
    expect(wave.fmt).toMatchObject({ sampleRate: 22050, numChannels: 1, bitsPerSample: 16 });
  });

  it('keeps an existing complete corpus', () => {
    const directory = generateSyntheticScenes({ directory: path.join(root, 'kept'), clipsPerSiteAndScene: 1, seconds: 0.1 });
    const metadata = read(directory, 'metadata.csv').toString();
    generateSyntheticScenes({ directory, clipsPerSiteAndScene: 3, seconds: 0.1 });
    expect(read(directory, 'metadata.csv').toString()).toBe(metadata);
  });
});

describe('createSyntheticScenesReader', () => {
  it('lists every clip with its scene, its events and its recording site as the group', async () => {
    const directory = generateSyntheticScenes({ directory: path.join(root, 'listed'), clipsPerSiteAndScene: 2, seconds: 0.25 });
    const reader = createSyntheticScenesReader({ directory });
    expect(reader.name).toBe('synthetic-scenes');
    const items = await reader.listItems();
    expect(items).toHaveLength(8 * 3 * 2);
    expect(new Set(items.map((item) => item.group)).size).toBe(8);
    const eventLabels = syntheticScenesTasks[1]?.labels ?? [];
    for (const item of items) {
      expect(item.id).toBe(path.relative(directory, item.path ?? ''));
      expect(item.path).toContain(`${item.group}${path.sep}${item.labels.scene}-`);
      expect((item.labels.events as readonly string[]).every((label) => eventLabels.includes(label))).toBe(true);
    }
    // each event is present in some clips and absent from others
    for (const label of eventLabels) {
      const present = items.filter((item) => (item.labels.events as readonly string[]).includes(label)).length;
      expect(present).toBeGreaterThan(0);
      expect(present).toBeLessThan(items.length);
    }
  });

  it('reads into a task dataset resampled to the extraction rate', async () => {
    const directory = generateSyntheticScenes({ directory: path.join(root, 'extracted'), clipsPerSiteAndScene: 1, seconds: 0.5 });
    const { dataset } = await readDataset(createSyntheticScenesReader({ directory }), {
      extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 256, melBandCount: 32 } },
      cacheDirectory: path.join(root, 'cache'),
      workers: 0,
      progress: 'none',
    });
    expect(dataset.tasks.map((task) => [task.name, task.kind])).toEqual([
      ['scene', 'multi-class'],
      ['events', 'multi-label'],
    ]);
    // 0.5 s at 16 kHz (not 22050 Hz), hop 256, centred frames
    expect(dataset.featuresOf(0).shape).toEqual([32, 32]);
  });

  it('names the missing metadata file and a damaged one, with the fix', async () => {
    const missing = createSyntheticScenesReader({ directory: path.join(root, 'nothing') }).listItems();
    await expect(missing).rejects.toSatisfy(MissingFileError.isInstance);
    await expect(missing).rejects.toThrow(/metadata\.csv is missing: generate the corpus first with generateSyntheticScenes/);

    const damaged = generateSyntheticScenes({ directory: path.join(root, 'damaged'), clipsPerSiteAndScene: 1, seconds: 0.1 });
    writeFileSync(path.join(damaged, 'metadata.csv'), 'file,scene,events,site\nsites/site-1/rain-0.wav,rain\n');
    const short = createSyntheticScenesReader({ directory: damaged }).listItems();
    await expect(short).rejects.toSatisfy(DataFormatError.isInstance);
    await expect(short).rejects.toThrow(/line 2 needs 4 columns \(file,scene,events,site; only events may be empty\)/);
  });

  it('tells a voices corpus in its folder apart', async () => {
    const voices = generateSyntheticCorpus({ directory: path.join(root, 'voices'), clipsPerSpeakerAndKeyword: 1, seconds: 0.1 });
    await expect(createSyntheticScenesReader({ directory: voices }).listItems()).rejects.toThrow(
      /expected the header "file,scene,events,site", found "file,keyword,pitch,noise,speaker"; .*give each synthetic corpus its own directory/,
    );
  });
});
