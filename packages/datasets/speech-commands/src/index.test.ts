import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readDataset } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import { createSpeechCommandsReader } from './index';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-sc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const wav = (seconds: number) => {
  const wave = new WaveFile();
  wave.fromScratch(
    1,
    16000,
    '16',
    Int16Array.from({ length: Math.round(16000 * seconds) }, (_, index) => Math.round(1000 * Math.sin(index / 7))),
  );
  return wave.toBuffer();
};
const put = (relative: string, seconds = 1) => {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  writeFileSync(path.join(root, relative), wav(seconds));
};

describe('@polytask/dataset-speech-commands', () => {
  put('yes/0a7c2a8d_nohash_0.wav');
  put('yes/0a7c2a8d_nohash_1.wav');
  put('marvin/1b4c9b89_nohash_0.wav');
  put('go/c1d39ce8_nohash_2.wav');
  put('_background_noise_/doing_the_dishes.wav', 2.5);
  put('_background_noise_/white_noise.wav', 1.2);
  writeFileSync(path.join(root, 'testing_list.txt'), 'go/c1d39ce8_nohash_2.wav\n');
  writeFileSync(path.join(root, 'validation_list.txt'), 'marvin/1b4c9b89_nohash_0.wav\n');
  writeFileSync(path.join(root, 'README.md'), 'not a word folder');

  it('35 words: one folder per word, the official test list, speakers as groups, no background noise items', async () => {
    const items = await createSpeechCommandsReader({ directory: root }).listItems();
    expect(items.map((item) => [item.id, item.labels.keyword, item.split, item.group])).toEqual([
      ['go/c1d39ce8_nohash_2.wav', 'go', 'test', 'c1d39ce8'],
      ['marvin/1b4c9b89_nohash_0.wav', 'marvin', 'train', '1b4c9b89'],
      ['yes/0a7c2a8d_nohash_0.wav', 'yes', 'train', '0a7c2a8d'],
      ['yes/0a7c2a8d_nohash_1.wav', 'yes', 'train', '0a7c2a8d'],
    ]);
    expect((await createSpeechCommandsReader({ directory: root, validation: 'exclude' }).listItems()).map((item) => item.id)).not.toContain(
      'marvin/1b4c9b89_nohash_0.wav',
    );
  });

  it('12 classes: other words become _unknown_, background noise becomes one-second _silence_ slices', async () => {
    const reader = createSpeechCommandsReader({ directory: root, variant: 12 });
    expect(reader.tasks[0]?.labels).toEqual([
      'yes',
      'no',
      'up',
      'down',
      'left',
      'right',
      'on',
      'off',
      'stop',
      'go',
      '_silence_',
      '_unknown_',
    ]);
    const items = await reader.listItems();
    expect(items.find((item) => item.id.startsWith('marvin'))?.labels.keyword).toBe('_unknown_');
    const silence = items.filter((item) => item.labels.keyword === '_silence_');
    expect(silence.map((item) => [item.id, item.split])).toEqual([
      ['_background_noise_/doing_the_dishes.wav#0', 'train'],
      ['_background_noise_/doing_the_dishes.wav#1', 'train'],
      ['_background_noise_/white_noise.wav#0', 'test'],
    ]);
    const { dataset } = await readDataset(reader, {
      extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 512, melBandCount: 16 } },
      cacheDirectory: path.join(root, '.cache'),
      workers: 0,
      progress: 'none',
    });
    expect(dataset.size).toBe(7);
    expect(dataset.featuresOf(dataset.size - 1).shape).toEqual([32, 16]);
  });

  it('names the missing official lists', async () => {
    await expect(createSpeechCommandsReader({ directory: path.join(root, 'yes') }).listItems()).rejects.toThrow(
      /testing_list\.txt is missing/,
    );
  });
});
