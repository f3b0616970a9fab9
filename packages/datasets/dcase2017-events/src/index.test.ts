import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readDataset } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import { createDcase2017EventsReader } from './index';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-dcase-events-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('@polytask/dataset-dcase2017-events', () => {
  for (const folder of ['audio/street', 'meta/street', 'evaluation_setup']) mkdirSync(path.join(root, folder), { recursive: true });
  for (const [recording, seconds] of [
    ['a001', 3.4],
    ['b093', 2],
  ] as const) {
    const wave = new WaveFile();
    wave.fromScratch(2, 8000, '16', [
      Int16Array.from({ length: seconds * 8000 }, (_, index) => index % 200),
      new Int16Array(seconds * 8000),
    ]);
    writeFileSync(path.join(root, 'audio', 'street', `${recording}.wav`), wave.toBuffer());
  }
  writeFileSync(path.join(root, 'meta', 'street', 'a001.ann'), '0.5\t1.2\tcar\n2.1\t3.3\tpeople walking\n');
  // the longer meta.txt-style line form is accepted too
  writeFileSync(path.join(root, 'meta', 'street', 'b093.ann'), 'audio/street/b093.wav\tstreet\t1.0\t1.5\tbrakes squeaking\tmixture\n');
  writeFileSync(path.join(root, 'evaluation_setup', 'street_fold1_evaluate.txt'), 'audio/street/a001.wav\tstreet\n');
  writeFileSync(path.join(root, 'evaluation_setup', 'street_fold2_evaluate.txt'), 'audio/street/b093.wav\tstreet\n');
  writeFileSync(path.join(root, 'evaluation_setup', 'street_fold3_evaluate.txt'), '');
  writeFileSync(path.join(root, 'evaluation_setup', 'street_fold4_evaluate.txt'), '');

  it('cuts recordings into one-second multi-label segments of the active events', async () => {
    const reader = createDcase2017EventsReader({ directory: root });
    const items = await reader.listItems();
    expect(items.map((item) => [item.id, item.labels.events, item.fold, item.group])).toEqual([
      ['a001#0', ['car'], 0, 'a001'],
      ['a001#1', ['car'], 0, 'a001'],
      ['a001#2', ['people walking'], 0, 'a001'],
      ['b093#0', [], 1, 'b093'],
      ['b093#1', ['brakes squeaking'], 1, 'b093'],
    ]);
    const { dataset } = await readDataset(reader, {
      extraction: { name: 'log-mel', sampleRate: 8000, params: { fftSize: 256, hopLength: 256, melBandCount: 16 } },
      cacheDirectory: path.join(root, '.cache'),
      workers: 0,
      progress: 'none',
    });
    expect(dataset.size).toBe(5);
    expect(dataset.featuresOf(0).shape).toEqual([32, 16]);
  });

  it('names a missing annotation and a bad line', async () => {
    writeFileSync(path.join(root, 'meta', 'street', 'b093.ann'), '1.0\t0.5\tcar\n');
    await expect(createDcase2017EventsReader({ directory: root }).listItems()).rejects.toThrow(
      /b093\.ann: line 1 is not "onset<TAB>offset<TAB>event"/,
    );
    rmSync(path.join(root, 'meta', 'street', 'b093.ann'));
    await expect(createDcase2017EventsReader({ directory: root }).listItems()).rejects.toThrow(/b093\.ann is missing for b093\.wav/);
  });
});
