import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { validateReaderOptions } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import { createAsvspoof2015Reader, readerOptionsSchema } from './index';
import { writeAsvspoof2015Fixture } from './testing';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-asv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('@polytask/dataset-asvspoof2015', () => {
  it('refuses to be created without its directory, naming the option, and records its options for the cache key', () => {
    expect(() => createAsvspoof2015Reader({} as never)).toThrow(InvalidArgumentError);
    expect(() => createAsvspoof2015Reader({} as never)).toThrow(/asvspoof2015 reader option "directory": required option missing/);
    expect(createAsvspoof2015Reader({ directory: 'corpus' }).options).toMatchObject({ directory: path.resolve('corpus') });
  });

  // speakers T1, T2 (train), D1, D2 (development), E1, E2 (evaluation); odd numbers male
  writeAsvspoof2015Fixture({ directory: root, seconds: 0.05 });

  it('gives spoof, attack and gender for every file over the same audio, evaluation as test', async () => {
    const items = await createAsvspoof2015Reader({ directory: root }).listItems();
    const rows = items.map((item) => [item.id, item.labels, item.split, item.group]);
    expect(rows.slice(0, 3)).toEqual([
      ['T1/T1_1000001', { spoof: 'genuine', attack: 'human', gender: 'male' }, 'train', 'T1'],
      ['T1/T1_1000002', { spoof: 'genuine', attack: 'human', gender: 'male' }, 'train', 'T1'],
      ['T1/T1_1000003', { spoof: 'spoof', attack: 'S1', gender: 'male' }, 'train', 'T1'],
    ]);
    expect(rows).toContainEqual(['D2/D2_1000007', { spoof: 'spoof', attack: 'S5', gender: 'female' }, 'train', 'D2']);
    expect(rows.at(-1)).toEqual(['E2/E2_1000012', { spoof: 'spoof', attack: 'S10', gender: 'female' }, 'test', 'E2']);
    // known attacks S1-S5 in training and development, S1-S10 in evaluation
    expect(items).toHaveLength(4 * 7 + 2 * 12);
    expect(new Set(items.filter((item) => item.split === 'train').map((item) => item.labels.attack)).size).toBe(6);
  });

  it('names a speaker without gender and a missing protocol folder', async () => {
    writeFileSync(path.join(root, 'CM_protocol', 'cm_evaluation.ndx'), 'E9 E9_1 human genuine\n');
    await expect(createAsvspoof2015Reader({ directory: root }).listItems()).rejects.toThrow(/speaker E9 .* is in no Joint_ASV_CM_protocol/);
    await expect(createAsvspoof2015Reader({ directory: path.join(root, 'none') }).listItems()).rejects.toThrow(
      /Joint_ASV_CM_protocol is missing/,
    );
  });
});

describe('@polytask/dataset-asvspoof2015 options schema', () => {
  it('accepts the documented options', () => {
    expect(() => validateReaderOptions({ directory: '/corpus' }, { schema: readerOptionsSchema, reader: 'asvspoof2015' })).not.toThrow();
  });

  it('rejects a misspelled option, naming the known options', () => {
    expect(() =>
      validateReaderOptions({ directory: '/corpus', directry: true }, { schema: readerOptionsSchema, reader: 'asvspoof2015' }),
    ).toThrow(/option "directry": unknown option; did you mean "directory"\? Known options: directory \(string, required\)\.$/);
  });
});
