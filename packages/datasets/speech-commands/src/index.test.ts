import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { readDataset, validateReaderOptions } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import { createSpeechCommandsReader, readerOptionsSchema } from './index';
import { writeSpeechCommandsFixture } from './testing';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-sc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('@polytask/dataset-speech-commands', () => {
  it('refuses to be created without its directory, naming the option, and records its options for the cache key', () => {
    expect(() => createSpeechCommandsReader({} as never)).toThrow(InvalidArgumentError);
    expect(() => createSpeechCommandsReader({} as never)).toThrow(/speech-commands reader option "directory": required option missing/);
    expect(createSpeechCommandsReader({ directory: 'corpus' }).options).toMatchObject({ directory: path.resolve('corpus') });
  });

  // 12 words said by 4 speakers (the first in testing_list.txt, the second in validation_list.txt),
  // two 2-second background-noise recordings, and README.md and LICENSE beside the word folders
  writeSpeechCommandsFixture({ directory: root, seconds: 0.1, backgroundNoiseSeconds: 2 });

  it('35 words: one folder per word, the official test list, speakers as groups, no background noise items', async () => {
    const items = await createSpeechCommandsReader({ directory: root }).listItems();
    expect(items.slice(0, 5).map((item) => [item.id, item.labels.keyword, item.split, item.group])).toEqual([
      ['bed/4704fbb6_nohash_0.wav', 'bed', 'test', '4704fbb6'],
      ['bed/48f8e16d_nohash_0.wav', 'bed', 'train', '48f8e16d'],
      ['bed/4aecc724_nohash_0.wav', 'bed', 'train', '4aecc724'],
      ['bed/4ce0acdb_nohash_0.wav', 'bed', 'train', '4ce0acdb'],
      ['down/4704fbb6_nohash_0.wav', 'down', 'test', '4704fbb6'],
    ]);
    expect(items).toHaveLength(12 * 4);
    expect(items.filter((item) => item.split === 'test').every((item) => item.group === '4704fbb6')).toBe(true);
    const withoutValidation = await createSpeechCommandsReader({ directory: root, validation: 'exclude' }).listItems();
    expect(withoutValidation).toHaveLength(12 * 3);
    expect(withoutValidation.map((item) => item.group)).not.toContain('48f8e16d');
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
      ['_background_noise_/white_noise.wav#1', 'test'],
    ]);
    const { dataset } = await readDataset(reader, {
      extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 512, melBandCount: 16 } },
      cacheDirectory: path.join(root, '.cache'),
      workers: 0,
      progress: 'none',
    });
    expect(dataset.size).toBe(12 * 4 + 4);
    expect(dataset.featuresOf(dataset.size - 1).shape).toEqual([32, 16]);
  });

  it('names the missing official lists', async () => {
    await expect(createSpeechCommandsReader({ directory: path.join(root, 'yes') }).listItems()).rejects.toThrow(
      /testing_list\.txt is missing/,
    );
  });
});

describe('@polytask/dataset-speech-commands options schema', () => {
  it('accepts the documented options', () => {
    expect(() => validateReaderOptions({ directory: '/corpus' }, { schema: readerOptionsSchema, reader: 'speech-commands' })).not.toThrow();
  });

  it('rejects a misspelled option, naming the known options', () => {
    expect(() =>
      validateReaderOptions({ directory: '/corpus', varient: true }, { schema: readerOptionsSchema, reader: 'speech-commands' }),
    ).toThrow(
      /option "varient": unknown option; did you mean "variant"\? Known options: directory \(string, required\), variant \(35 \| 12, default 35\), validation \("train" \| "exclude", default "train"\)\.$/,
    );
  });

  it('rejects an option value of the wrong type or outside the accepted ones', () => {
    expect(() =>
      validateReaderOptions({ directory: 'a', variant: 30 }, { schema: readerOptionsSchema, reader: 'speech-commands' }),
    ).toThrow(/variant.*expected one of 35, 12, got 30/);
  });
});
