import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataFormatError } from '@polytask/core';
import { readDataset } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { createReader } from './create-reader';
import { createSyntheticTonesReader, generateSyntheticTones, syntheticTonesTasks } from './synthetic-tones';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-synthetic-tones-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the tones corpus', () => {
  it('has one regression task with two named outputs', () => {
    expect(syntheticTonesTasks.map((task) => [task.name, task.kind, task.labels])).toEqual([['tone', 'regression', ['pitch', 'level']]]);
  });

  it('lists each clip with its pitch and level as the values of "tone", sessions as groups, deterministically', async () => {
    const directory = generateSyntheticTones({ directory: path.join(root, 'listed'), clipsPerSession: 2, seconds: 0.1 });
    const again = generateSyntheticTones({ directory: path.join(root, 'again'), clipsPerSession: 2, seconds: 0.1 });
    expect(readFileSync(path.join(directory, 'metadata.csv'), 'utf8')).toBe(readFileSync(path.join(again, 'metadata.csv'), 'utf8'));
    const items = await createSyntheticTonesReader({ directory }).listItems();
    expect(items).toHaveLength(12);
    expect(new Set(items.map((item) => item.group)).size).toBe(6);
    for (const item of items) {
      const [pitch, level] = (item.values?.tone ?? []) as number[];
      expect(pitch).toBeGreaterThanOrEqual(0);
      expect(pitch).toBeLessThan(30);
      expect(level).toBeGreaterThanOrEqual(-30);
      expect(level).toBeLessThan(-6);
    }
    // the level is the tone's: a louder clip has more energy
    const energy = (file: string) => {
      const samples = new wavefile.WaveFile(readFileSync(file)).getSamples(false, Int16Array) as unknown as Int16Array;
      return samples.reduce((sum, value) => sum + value * value, 0);
    };
    const levelOf = (item: (typeof items)[number]) => ((item.values?.tone ?? []) as number[])[1] as number;
    const byLevel = [...items].sort((a, b) => levelOf(a) - levelOf(b));
    expect(energy(byLevel.at(-1)?.path as string)).toBeGreaterThan(4 * energy(byLevel[0]?.path as string));
  });

  it('reads into a dataset with float32 targets through readDataset and the package reader factory', async () => {
    const reader = createReader({ corpus: 'tones', directory: path.join(root, 'read'), clipsPerSession: 1, seconds: 0.1 });
    expect(reader.name).toBe('synthetic-tones');
    const { dataset } = await readDataset(reader, {
      extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 512, melBandCount: 8 } },
      cacheDirectory: path.join(root, 'cache'),
      progress: 'none',
    });
    expect(dataset.size).toBe(6);
    expect(dataset.targetMatrix('tone')).toBeInstanceOf(Float32Array);
    expect(dataset.task('tone')?.outputSize).toBe(2);
  });

  it('refuses a table whose value is not a number, naming the file', async () => {
    const directory = generateSyntheticTones({ directory: path.join(root, 'damaged'), clipsPerSession: 1, seconds: 0.1 });
    const table = path.join(directory, 'metadata.csv');
    const lines = readFileSync(table, 'utf8').split('\n');
    lines[2] = lines[2]?.replace(/,[^,]+,session/, ',loud,session') ?? '';
    writeFileSync(table, lines.join('\n'));
    await expect(createSyntheticTonesReader({ directory }).listItems()).rejects.toThrow(DataFormatError);
    await expect(createSyntheticTonesReader({ directory }).listItems()).rejects.toThrow(/level "loud"/);
  });
});
