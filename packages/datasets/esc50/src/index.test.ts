import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { validateReaderOptions } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import { createEsc50Reader, esc50Categories, readerOptionsSchema } from './index';
import { writeEsc50Fixture } from './testing';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-esc50-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fixture = (name: string) => writeEsc50Fixture({ directory: path.join(root, name), seconds: 0.05 });

describe('@polytask/dataset-esc50', () => {
  it('refuses to be created without its directory, naming the option, and records its options for the cache key', () => {
    expect(() => createEsc50Reader({} as never)).toThrow(InvalidArgumentError);
    expect(() => createEsc50Reader({} as never)).toThrow(/esc50 reader option "directory": required option missing/);
    expect(createEsc50Reader({ directory: 'corpus' }).options).toMatchObject({ directory: path.resolve('corpus') });
  });

  it('lists items with categories, folds 0-4 and the source clip as group', async () => {
    const items = await createEsc50Reader({ directory: fixture('full') }).listItems();
    expect(items.slice(0, 3).map((item) => [item.id, item.labels.sound, item.fold, item.group])).toEqual([
      ['1-101037-A-0.wav', 'dog', 0, '101037'],
      ['1-101037-B-0.wav', 'dog', 0, '101037'],
      ['1-101074-A-14.wav', 'chirping_birds', 0, '101074'],
    ]);
    // every category in every fold, two fragments per source clip, each clip in one fold
    expect(items).toHaveLength(5 * 4 * 2);
    expect(new Set(items.map((item) => `${item.fold}/${item.labels.sound}`)).size).toBe(5 * 4);
    expect(new Set(items.map((item) => `${item.group}@${item.fold}`)).size).toBe(new Set(items.map((item) => item.group)).size);
    expect(esc50Categories).toHaveLength(50);
    expect(esc50Categories[14]).toBe('chirping_birds');
  });

  it('reads the ESC-10 subset', async () => {
    const reader = createEsc50Reader({ directory: fixture('esc10'), esc10: true });
    expect(reader.name).toBe('esc10');
    const items = await reader.listItems();
    expect(new Set(items.map((item) => item.labels.sound))).toEqual(new Set(['dog', 'rain']));
    expect(items).toHaveLength(5 * 2 * 2);
    expect(reader.tasks[0]?.labels).toHaveLength(10);
  });

  it('names a missing metadata file, column or audio file', async () => {
    await expect(createEsc50Reader({ directory: path.join(root, 'nowhere') }).listItems()).rejects.toThrow(/esc50\.csv is missing/);
    const broken = fixture('broken');
    writeFileSync(path.join(broken, 'meta', 'esc50.csv'), 'filename,fold,target\nx.wav,1,0\n');
    await expect(createEsc50Reader({ directory: broken }).listItems()).rejects.toThrow(/has no column "category", "esc10", "src_file"/);
    const partial = fixture('partial');
    rmSync(path.join(partial, 'audio', '5-101629-B-0.wav'));
    await expect(createEsc50Reader({ directory: partial }).listItems()).rejects.toThrow(
      /1 audio file\(s\) .* missing, first .*5-101629-B-0\.wav/,
    );
  });
});

describe('@polytask/dataset-esc50 options schema', () => {
  it('accepts the documented options', () => {
    expect(() => validateReaderOptions({ directory: '/corpus' }, { schema: readerOptionsSchema, reader: 'esc50' })).not.toThrow();
  });

  it('rejects a misspelled option, naming the known options', () => {
    expect(() => validateReaderOptions({ directory: '/corpus', esc_10: true }, { schema: readerOptionsSchema, reader: 'esc50' })).toThrow(
      /option "esc_10": unknown option; did you mean "esc10"\? Known options: directory \(string, required\), esc10 \(boolean, default false\)\.$/,
    );
  });

  it('rejects an option value of the wrong type or outside the accepted ones', () => {
    expect(() => validateReaderOptions({ directory: 'a', esc10: 'True' }, { schema: readerOptionsSchema, reader: 'esc50' })).toThrow(
      /esc10.*expected true or false, got "True"/,
    );
  });
});
