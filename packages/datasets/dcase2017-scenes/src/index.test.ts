import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import { createDcase2017ScenesReader } from './index';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-dcase-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('@polytask/dataset-dcase2017-scenes', () => {
  const files = [
    ['audio/a001_0_10.wav', 'residential_area', 'a001', 1],
    ['audio/a001_10_20.wav', 'residential_area', 'a001', 1],
    ['audio/b020_90_100.wav', 'cafe/restaurant', 'b020', 3],
  ] as const;
  mkdirSync(path.join(root, 'audio'), { recursive: true });
  mkdirSync(path.join(root, 'evaluation_setup'), { recursive: true });
  for (const [file] of files) {
    const wave = new WaveFile();
    wave.fromScratch(2, 44100, '24', [new Int32Array(44), new Int32Array(44)]);
    writeFileSync(path.join(root, file), wave.toBuffer());
  }
  writeFileSync(path.join(root, 'meta.txt'), files.map(([file, scene, location]) => `${file}\t${scene}\t${location}`).join('\n'));
  for (let fold = 1; fold <= 4; fold++) {
    writeFileSync(
      path.join(root, 'evaluation_setup', `fold${fold}_evaluate.txt`),
      files
        .filter((entry) => entry[3] === fold)
        .map(([file, scene]) => `${file}\t${scene}`)
        .join('\n'),
    );
  }

  it('takes folds from the evaluation setup and the location as group', async () => {
    const items = await createDcase2017ScenesReader({ directory: root }).listItems();
    expect(items.map((item) => [item.id, item.labels.scene, item.fold, item.group])).toEqual([
      ['audio/a001_0_10.wav', 'residential_area', 0, 'a001'],
      ['audio/a001_10_20.wav', 'residential_area', 0, 'a001'],
      ['audio/b020_90_100.wav', 'cafe/restaurant', 2, 'b020'],
    ]);
  });

  it('names a file missing from the folds', async () => {
    writeFileSync(path.join(root, 'evaluation_setup', 'fold3_evaluate.txt'), '');
    await expect(createDcase2017ScenesReader({ directory: root }).listItems()).rejects.toThrow(
      /b020_90_100\.wav is in no evaluation_setup/,
    );
  });
});
