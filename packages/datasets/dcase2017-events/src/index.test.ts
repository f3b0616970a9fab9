import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { readDataset, validateReaderOptions } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import { createDcase2017EventsReader, dcase2017Events, readerOptionsSchema } from './index';
import { writeDcase2017EventsFixture } from './testing';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-dcase-events-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('@polytask/dataset-dcase2017-events', () => {
  it('refuses to be created without its directory, naming the option, and records its options for the cache key', () => {
    expect(() => createDcase2017EventsReader({} as never)).toThrow(InvalidArgumentError);
    expect(() => createDcase2017EventsReader({} as never)).toThrow(/dcase2017-events reader option "directory": required option missing/);
    expect(createDcase2017EventsReader({ directory: 'corpus' }).options).toMatchObject({ directory: path.resolve('corpus') });
  });

  // recordings a001-a004 of 3.4 s, one per fold; two annotations replaced by known ones
  writeDcase2017EventsFixture({ directory: root, recordingsPerFold: 1, seconds: 3.4 });
  const generated = readFileSync(path.join(root, 'meta', 'street', 'a003.ann'), 'utf8');
  writeFileSync(path.join(root, 'meta', 'street', 'a001.ann'), '0.5\t1.2\tcar\n2.1\t3.3\tpeople walking\n');
  // the longer meta.txt-style line form is accepted too
  writeFileSync(path.join(root, 'meta', 'street', 'a002.ann'), 'audio/street/a002.wav\tstreet\t1.0\t1.5\tbrakes squeaking\tmixture\n');

  it('cuts recordings into one-second multi-label segments of the active events', async () => {
    const reader = createDcase2017EventsReader({ directory: root });
    const items = await reader.listItems();
    expect(items.slice(0, 6).map((item) => [item.id, item.labels.events, item.fold, item.group])).toEqual([
      ['a001#0', ['car'], 0, 'a001'],
      ['a001#1', ['car'], 0, 'a001'],
      ['a001#2', ['people walking'], 0, 'a001'],
      ['a002#0', [], 1, 'a002'],
      ['a002#1', ['brakes squeaking'], 1, 'a002'],
      ['a002#2', [], 1, 'a002'],
    ]);
    expect(items.map((item) => item.fold)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
    // the generated annotation: every annotated event is active in some segment of its recording
    const annotated = new Set(
      generated
        .trim()
        .split('\n')
        .map((line) => line.split('\t')[2]),
    );
    const active = new Set(items.filter((item) => item.group === 'a003').flatMap((item) => item.labels.events as string[]));
    expect(active).toEqual(annotated);
    expect([...active].every((event) => dcase2017Events.includes(event))).toBe(true);
    const { dataset } = await readDataset(reader, {
      extraction: { name: 'log-mel', sampleRate: 8000, params: { fftSize: 256, hopLength: 256, melBandCount: 16 } },
      cacheDirectory: path.join(root, '.cache'),
      workers: 0,
      progress: 'none',
    });
    expect(dataset.size).toBe(12);
    expect(dataset.featuresOf(0).shape).toEqual([32, 16]);
  });

  it('names a missing annotation and a bad line', async () => {
    writeFileSync(path.join(root, 'meta', 'street', 'a002.ann'), '1.0\t0.5\tcar\n');
    await expect(createDcase2017EventsReader({ directory: root }).listItems()).rejects.toThrow(
      /a002\.ann: line 1 is not "onset<TAB>offset<TAB>event"/,
    );
    rmSync(path.join(root, 'meta', 'street', 'a002.ann'));
    await expect(createDcase2017EventsReader({ directory: root }).listItems()).rejects.toThrow(/a002\.ann is missing for a002\.wav/);
  });
});

describe('@polytask/dataset-dcase2017-events options schema', () => {
  it('accepts the documented options', () => {
    expect(() =>
      validateReaderOptions({ directory: '/corpus' }, { schema: readerOptionsSchema, reader: 'dcase2017-events' }),
    ).not.toThrow();
  });

  it('rejects a misspelled option, naming the known options', () => {
    expect(() =>
      validateReaderOptions({ directory: '/corpus', segmentSecond: true }, { schema: readerOptionsSchema, reader: 'dcase2017-events' }),
    ).toThrow(
      /option "segmentSecond": unknown option; did you mean "segmentSeconds"\? Known options: directory \(string, required\), segmentSeconds \(number, default 1\)\.$/,
    );
  });

  it('rejects an option value of the wrong type or outside the accepted ones', () => {
    expect(() =>
      validateReaderOptions({ directory: 'a', segmentSeconds: '1' }, { schema: readerOptionsSchema, reader: 'dcase2017-events' }),
    ).toThrow(/segmentSeconds.*expected a number, got "1"/);
  });
});
