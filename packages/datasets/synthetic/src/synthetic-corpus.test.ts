import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readDataset } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import { createSyntheticReader, generateSyntheticCorpus } from './synthetic-corpus';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-synthetic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('@polytask/dataset-synthetic', () => {
  it('generates the same corpus for a seed and reads it with groups and all three tasks', async () => {
    const first = generateSyntheticCorpus({ directory: path.join(root, 'a'), clipsPerSpeakerAndKeyword: 2, seconds: 0.25 });
    const second = generateSyntheticCorpus({ directory: path.join(root, 'b'), clipsPerSpeakerAndKeyword: 2, seconds: 0.25 });
    expect(readFileSync(path.join(first, 'metadata.csv'), 'utf8')).toBe(readFileSync(path.join(second, 'metadata.csv'), 'utf8'));
    expect(
      readFileSync(path.join(first, 'clips/speaker-c/wobble-1.wav')).equals(
        readFileSync(path.join(second, 'clips/speaker-c/wobble-1.wav')),
      ),
    ).toBe(true);
    const reader = createSyntheticReader({ directory: first });
    const items = await reader.listItems();
    expect(items).toHaveLength(12 * 4 * 2);
    const { dataset } = await readDataset(reader, {
      extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 256, melBandCount: 32 } },
      cacheDirectory: path.join(root, 'cache'),
      workers: 0,
      progress: 'none',
    });
    expect(dataset.tasks.map((task) => task.name)).toEqual(['keyword', 'pitch', 'noise']);
    expect(dataset.featuresOf(0).shape).toEqual([16, 32]);
    expect(new Set(Array.from({ length: dataset.size }, (_, index) => dataset.groupOf(index))).size).toBe(12);
  });

  it('names the missing metadata file and a malformed one', async () => {
    await expect(createSyntheticReader({ directory: path.join(root, 'nothing') }).listItems()).rejects.toThrow(
      /metadata\.csv is missing: generate the corpus first/,
    );
    const broken = path.join(root, 'broken');
    generateSyntheticCorpus({ directory: broken, clipsPerSpeakerAndKeyword: 1, seconds: 0.1 });
    writeFileSync(path.join(broken, 'metadata.csv'), 'path,label\nx.wav,rise\n');
    await expect(createSyntheticReader({ directory: broken }).listItems()).rejects.toThrow(
      /expected the header "file,keyword,pitch,noise,speaker", found "path,label"/,
    );
  });
});
