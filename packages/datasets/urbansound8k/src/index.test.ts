import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { validateReaderOptions } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import { createUrbanSound8kReader, readerOptionsSchema } from './index';
import { writeUrbanSound8kFixture } from './testing';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-us8k-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('@polytask/dataset-urbansound8k', () => {
  it('refuses to be created without its directory, naming the option, and records its options for the cache key', () => {
    expect(() => createUrbanSound8kReader({} as never)).toThrow(InvalidArgumentError);
    expect(() => createUrbanSound8kReader({} as never)).toThrow(/urbansound8k reader option "directory": required option missing/);
    expect(createUrbanSound8kReader({ directory: 'corpus' }).options).toMatchObject({ directory: path.resolve('corpus') });
  });

  it('uses the fold column as the folds and fsID as the group', async () => {
    const reader = createUrbanSound8kReader({ directory: writeUrbanSound8kFixture({ directory: root, seconds: 0.05 }) });
    expect(reader.foldCount).toBe(10);
    const items = await reader.listItems();
    expect(items.slice(0, 3).map((item) => [item.id, item.labels.urban, item.fold, item.group])).toEqual([
      ['fold1/101053-2-0-0.wav', 'children_playing', 0, '101053'],
      ['fold1/101053-2-0-1.wav', 'children_playing', 0, '101053'],
      ['fold1/101106-3-0-0.wav', 'dog_bark', 0, '101106'],
    ]);
    expect(items[1]?.metadata).toEqual({ salience: 2, start: 0.05, end: 0.1 });
    // every class in every fold, each recording in one fold
    expect(items).toHaveLength(10 * 4 * 2);
    expect(new Set(items.map((item) => `${item.fold}/${item.labels.urban}`)).size).toBe(10 * 4);
    expect(new Set(items.map((item) => `${item.group}@${item.fold}`)).size).toBe(new Set(items.map((item) => item.group)).size);
  });

  it('names the missing metadata', async () => {
    await expect(createUrbanSound8kReader({ directory: path.join(root, 'none') }).listItems()).rejects.toThrow(
      /UrbanSound8K\.csv is missing/,
    );
  });
});

describe('@polytask/dataset-urbansound8k options schema', () => {
  it('accepts the documented options', () => {
    expect(() => validateReaderOptions({ directory: '/corpus' }, { schema: readerOptionsSchema, reader: 'urbansound8k' })).not.toThrow();
  });

  it('rejects a misspelled option, naming the known options', () => {
    expect(() =>
      validateReaderOptions({ directory: '/corpus', directry: true }, { schema: readerOptionsSchema, reader: 'urbansound8k' }),
    ).toThrow(/option "directry": unknown option; did you mean "directory"\? Known options: directory \(string, required\)\.$/);
  });
});
