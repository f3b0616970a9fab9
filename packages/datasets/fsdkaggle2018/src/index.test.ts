import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { validateReaderOptions } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsdKaggle2018Reader, readerOptionsSchema } from './index';
import { writeFsdKaggle2018Fixture } from './testing';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-fsd-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('@polytask/dataset-fsdkaggle2018', () => {
  it('refuses to be created without its directory, naming the option, and records its options for the cache key', () => {
    expect(() => createFsdKaggle2018Reader({} as never)).toThrow(InvalidArgumentError);
    expect(() => createFsdKaggle2018Reader({} as never)).toThrow(/fsdkaggle2018 reader option "directory": required option missing/);
    expect(createFsdKaggle2018Reader({ directory: 'corpus' }).options).toMatchObject({ directory: path.resolve('corpus') });
  });

  const fixture = { labels: ['Saxophone', 'Hi-hat'], trainClipsPerLabel: 2, seconds: 0.05 };

  it('reads the predefined split, labels sorted from the training CSV, and the verified flag', async () => {
    const directory = writeFsdKaggle2018Fixture({ directory: path.join(root, 'zenodo'), ...fixture });
    const reader = createFsdKaggle2018Reader({ directory });
    expect(reader.tasks[0]?.labels).toEqual(['Hi-hat', 'Saxophone']);
    const items = await reader.listItems();
    expect(items.map((item) => [item.id, item.labels.sound, item.split, item.group, item.metadata])).toEqual([
      ['train/5f0bd1b3.wav', 'Saxophone', 'train', '21001', { manuallyVerified: 1 }],
      ['train/68ef494e.wav', 'Saxophone', 'train', '21002', { manuallyVerified: 0 }],
      ['train/7cb63884.wav', 'Hi-hat', 'train', '21004', { manuallyVerified: 1 }],
      ['train/8699b01f.wav', 'Hi-hat', 'train', '21005', { manuallyVerified: 0 }],
      ['test/72d2c0e9.wav', 'Saxophone', 'test', '21003', { usage: 'Public' }],
      ['test/907d27ba.wav', 'Hi-hat', 'test', '21006', { usage: 'Public' }],
    ]);
    expect((await createFsdKaggle2018Reader({ directory, verifiedOnly: true }).listItems()).map((item) => item.id)).toEqual([
      'train/5f0bd1b3.wav',
      'train/7cb63884.wav',
      'test/72d2c0e9.wav',
      'test/907d27ba.wav',
    ]);
  });

  it('reads the Kaggle layout, leaving out the unscored (Ignored) test clips', async () => {
    const directory = writeFsdKaggle2018Fixture({ directory: path.join(root, 'kaggle'), layout: 'kaggle', ...fixture });
    const items = await createFsdKaggle2018Reader({ directory }).listItems();
    expect(items.map((item) => [item.split, item.labels.sound, item.group])).toEqual([
      ['train', 'Saxophone', undefined],
      ['train', 'Saxophone', undefined],
      ['train', 'Hi-hat', undefined],
      ['train', 'Hi-hat', undefined],
      ['test', 'Saxophone', '21003'],
      ['test', 'Hi-hat', '21006'],
    ]);
  });

  it('names the missing metadata', async () => {
    expect(() => createFsdKaggle2018Reader({ directory: path.join(root, 'none') }).tasks).toThrow(
      /neither .*train_post_competition\.csv nor .*train\.csv exists/,
    );
  });
});

describe('@polytask/dataset-fsdkaggle2018 options schema', () => {
  it('accepts the documented options', () => {
    expect(() => validateReaderOptions({ directory: '/corpus' }, { schema: readerOptionsSchema, reader: 'fsdkaggle2018' })).not.toThrow();
  });

  it('rejects a misspelled option, naming the known options', () => {
    expect(() =>
      validateReaderOptions({ directory: '/corpus', verifiedOnyl: true }, { schema: readerOptionsSchema, reader: 'fsdkaggle2018' }),
    ).toThrow(
      /option "verifiedOnyl": unknown option; did you mean "verifiedOnly"\? Known options: directory \(string, required\), verifiedOnly \(boolean, default false\)\.$/,
    );
  });
});
