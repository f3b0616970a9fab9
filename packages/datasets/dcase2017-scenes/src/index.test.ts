import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { validateReaderOptions } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import { createDcase2017ScenesReader, readerOptionsSchema } from './index';
import { writeDcase2017ScenesFixture } from './testing';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-dcase-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('@polytask/dataset-dcase2017-scenes', () => {
  it('refuses to be created without its directory, naming the option, and records its options for the cache key', () => {
    expect(() => createDcase2017ScenesReader({} as never)).toThrow(InvalidArgumentError);
    expect(() => createDcase2017ScenesReader({} as never)).toThrow(/dcase2017-scenes reader option "directory": required option missing/);
    expect(createDcase2017ScenesReader({ directory: 'corpus' }).options).toMatchObject({ directory: path.resolve('corpus') });
  });

  writeDcase2017ScenesFixture({ directory: root, seconds: 0.05 });

  it('takes folds from the evaluation setup and the location as group', async () => {
    const items = await createDcase2017ScenesReader({ directory: root }).listItems();
    expect(items.slice(0, 3).map((item) => [item.id, item.labels.scene, item.fold, item.group])).toEqual([
      ['audio/a001_0_10.wav', 'bus', 0, 'a001'],
      ['audio/a001_10_20.wav', 'bus', 0, 'a001'],
      ['audio/a002_0_10.wav', 'cafe/restaurant', 0, 'a002'],
    ]);
    // every scene in every fold, each location in one fold
    expect(items).toHaveLength(4 * 4 * 2);
    expect(new Set(items.map((item) => `${item.fold}/${item.labels.scene}`)).size).toBe(4 * 4);
    expect(new Set(items.map((item) => `${item.group}@${item.fold}`)).size).toBe(new Set(items.map((item) => item.group)).size);
  });

  it('leaves the folds to the experiment when officialFolds is false, keeping the location as group', async () => {
    const reader = createDcase2017ScenesReader({ directory: root, officialFolds: false });
    expect(reader.foldCount).toBeUndefined();
    const items = await reader.listItems();
    expect(items).toHaveLength(4 * 4 * 2);
    expect(items.every((item) => item.fold === undefined)).toBe(true);
    expect(items[0]).toMatchObject({ id: 'audio/a001_0_10.wav', labels: { scene: 'bus' }, group: 'a001' });
  });

  it('names a file missing from the folds', async () => {
    writeFileSync(path.join(root, 'evaluation_setup', 'fold3_evaluate.txt'), '');
    await expect(createDcase2017ScenesReader({ directory: root }).listItems()).rejects.toThrow(/a009_0_10\.wav is in no evaluation_setup/);
  });
});

describe('@polytask/dataset-dcase2017-scenes options schema', () => {
  it('accepts the documented options', () => {
    expect(() =>
      validateReaderOptions({ directory: '/corpus' }, { schema: readerOptionsSchema, reader: 'dcase2017-scenes' }),
    ).not.toThrow();
  });

  it('rejects a misspelled option, naming the known options', () => {
    expect(() =>
      validateReaderOptions({ directory: '/corpus', directry: true }, { schema: readerOptionsSchema, reader: 'dcase2017-scenes' }),
    ).toThrow(
      /option "directry": unknown option; did you mean "directory"\? Known options: directory \(string, required\), officialFolds \(boolean, default true\)\.$/,
    );
  });
});
