import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataFormatError, MissingFileError } from '@polytask/core';
import { afterAll, describe, expect, it } from 'vitest';
import { assertFilesExist, readCsv } from './read-csv';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-csv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('readCsv', () => {
  it('reads records, quoted commas and a BOM included', () => {
    const file = path.join(root, 'meta.csv');
    writeFileSync(file, '\uFEFFfname,label,note\r\na.wav,Dog,"barks, twice"\nb.wav,Cat,\n');
    expect(readCsv(file, { requiredColumns: ['fname', 'label'] })).toEqual([
      { fname: 'a.wav', label: 'Dog', note: 'barks, twice' },
      { fname: 'b.wav', label: 'Cat', note: '' },
    ]);
  });

  it('reads header-less files with given column names and another delimiter', () => {
    const file = path.join(root, 'list.ndx');
    writeFileSync(file, 'T1 T1_001 human genuine\nT2 T2_004 S3 spoof\n');
    expect(readCsv(file, { columns: ['folder', 'file', 'method', 'source'], requiredColumns: ['file'], delimiter: /\s+/ })[1]).toEqual({
      folder: 'T2',
      file: 'T2_004',
      method: 'S3',
      source: 'spoof',
    });
  });

  it('names a missing file, a missing column and a short row', () => {
    expect(() => readCsv(path.join(root, 'none.csv'), { requiredColumns: [] })).toThrow(MissingFileError);
    const file = path.join(root, 'bad.csv');
    writeFileSync(file, 'filename,fold\na.wav,1\n');
    expect(() => readCsv(file, { requiredColumns: ['filename', 'category'] })).toThrow(
      /has no column "category"; its columns are filename, fold/,
    );
    writeFileSync(file, 'filename,fold\na.wav\n');
    expect(() => readCsv(file, { requiredColumns: ['filename'] })).toThrow(DataFormatError);
    expect(() => assertFilesExist([file, path.join(root, 'x.wav')], 'Test corpus')).toThrow(
      /1 audio file\(s\) listed in the metadata are missing, first .*x\.wav/,
    );
  });
});
