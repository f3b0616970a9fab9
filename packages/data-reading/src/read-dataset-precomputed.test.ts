import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, defineTask, type FeatureMatrix } from '@polytask/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { DataReader, DatasetItem } from './data-reader';
import { readDataset } from './read-dataset';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-precomputed-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const task = defineTask({ name: 'event', kind: 'multi-label', labels: ['dog', 'cat'] });

/** A reader whose items are rows of one "feature file": item i has i + 1 frames of 3 values. */
function featureReader(options: { source: string; scale: number }): DataReader {
  const items: DatasetItem[] = [0, 1, 2].map((index) => ({
    id: `clip-${index}`,
    sources: [options.source],
    labels: { event: index === 0 ? [] : index === 1 ? ['dog'] : ['dog', 'cat'] },
    split: index === 2 ? 'test' : 'train',
  }));
  return {
    specificationVersion: 'v1',
    name: 'feature-reader',
    tasks: [task],
    options: { scale: options.scale },
    listItems: async () => items,
    readFeatures: async (item): Promise<FeatureMatrix> => {
      const frames = Number(item.id.slice(5)) + 1;
      return { data: Float32Array.from({ length: frames * 3 }, (_, value) => value * options.scale), shape: [frames, 3] };
    },
  };
}

describe('readDataset with a reader that yields features', () => {
  const source = path.join(root, 'features.bin');
  writeFileSync(source, 'v1');

  it('stores the reader features unchanged under the precomputed extraction and reuses the cache', async () => {
    const reader = featureReader({ source, scale: 0.5 });
    const options = { extraction: { name: 'precomputed', sampleRate: 16000 }, cacheDirectory: root, progress: 'none' as const };
    const first = await readDataset(reader, options);
    expect(first.fromCache).toBe(false);
    expect(first.spec.name).toBe('precomputed');
    expect(first.dataset.featuresOf(2).shape).toEqual([3, 3]);
    expect(Array.from(first.dataset.featuresOf(1).data)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(Array.from(first.dataset.targetsOf('event', 2))).toEqual([1, 1]);
    const second = await readDataset(reader, options);
    expect(second.fromCache).toBe(true);
    expect(second.cacheKey).toBe(first.cacheKey);
  });

  it('keys the cache by the reader options and the source files', async () => {
    const options = { extraction: { name: 'precomputed', sampleRate: 16000 }, cacheDirectory: root, progress: 'none' as const };
    const base = await readDataset(featureReader({ source, scale: 0.5 }), options);
    const otherOptions = await readDataset(featureReader({ source, scale: 2 }), options);
    expect(otherOptions.cacheKey).not.toBe(base.cacheKey);
    expect(otherOptions.dataset.featuresOf(1).data[1]).toBe(2);
    writeFileSync(source, 'v2 longer');
    utimesSync(source, new Date(), new Date(Date.now() + 5000));
    const edited = await readDataset(featureReader({ source, scale: 0.5 }), options);
    expect(edited.cacheKey).not.toBe(base.cacheKey);
  });

  it('refuses an audio extraction on a feature reader, and precomputed on an audio reader', async () => {
    const reader = featureReader({ source, scale: 1 });
    await expect(
      readDataset(reader, { extraction: { name: 'log-mel', sampleRate: 16000 }, cacheDirectory: root, progress: 'none' }),
    ).rejects.toThrow(/yields precomputed features.*"precomputed"/);
    const { readFeatures: _, ...withoutFeatures } = reader;
    const audioReader: DataReader = { ...withoutFeatures, readAudio: async () => ({ sampleRate: 16000, channels: [] }) };
    const attempt = readDataset(audioReader, {
      extraction: { name: 'precomputed', sampleRate: 16000 },
      cacheDirectory: root,
      progress: 'none',
    });
    await expect(attempt).rejects.toSatisfy((error) => ConfigError.isInstance(error) && error.message.includes('yields audio'));
  });
});
