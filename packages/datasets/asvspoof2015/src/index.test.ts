import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import { createAsvspoof2015Reader } from './index';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-asv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const put = (speaker: string, file: string) => {
  mkdirSync(path.join(root, 'wav', speaker), { recursive: true });
  const wave = new WaveFile();
  wave.fromScratch(1, 16000, '16', new Int16Array(16));
  writeFileSync(path.join(root, 'wav', speaker, `${file}.wav`), wave.toBuffer());
};

describe('@polytask/dataset-asvspoof2015', () => {
  mkdirSync(path.join(root, 'CM_protocol'), { recursive: true });
  mkdirSync(path.join(root, 'Joint_ASV_CM_protocol'), { recursive: true });
  writeFileSync(path.join(root, 'CM_protocol', 'cm_train.trn'), 'T1 T1_1000001 human genuine\nT1 T1_1000002 S3 spoof\n');
  writeFileSync(path.join(root, 'CM_protocol', 'cm_develop.ndx'), 'D2 D2_1000003 S5 spoof\n');
  writeFileSync(path.join(root, 'CM_protocol', 'cm_evaluation.ndx'), 'E3 E3_1000004 human genuine\n');
  writeFileSync(
    path.join(root, 'Joint_ASV_CM_protocol', 'ASV_male_development.ndx'),
    'T1 T1_0000001 human genuine\nE3 E3_0000001 human genuine\n',
  );
  writeFileSync(path.join(root, 'Joint_ASV_CM_protocol', 'ASV_female_development.ndx'), 'D2 D2_0000001 human genuine\n');
  put('T1', 'T1_1000001');
  put('T1', 'T1_1000002');
  put('D2', 'D2_1000003');
  put('E3', 'E3_1000004');

  it('gives spoof, attack and gender for every file over the same audio, evaluation as test', async () => {
    const items = await createAsvspoof2015Reader({ directory: root }).listItems();
    expect(items.map((item) => [item.id, item.labels, item.split, item.group])).toEqual([
      ['T1/T1_1000001', { spoof: 'genuine', attack: 'human', gender: 'male' }, 'train', 'T1'],
      ['T1/T1_1000002', { spoof: 'spoof', attack: 'S3', gender: 'male' }, 'train', 'T1'],
      ['D2/D2_1000003', { spoof: 'spoof', attack: 'S5', gender: 'female' }, 'train', 'D2'],
      ['E3/E3_1000004', { spoof: 'genuine', attack: 'human', gender: 'male' }, 'test', 'E3'],
    ]);
  });

  it('names a speaker without gender and a missing protocol folder', async () => {
    writeFileSync(path.join(root, 'CM_protocol', 'cm_evaluation.ndx'), 'E9 E9_1 human genuine\n');
    await expect(createAsvspoof2015Reader({ directory: root }).listItems()).rejects.toThrow(/speaker E9 .* is in no Joint_ASV_CM_protocol/);
    await expect(createAsvspoof2015Reader({ directory: path.join(root, 'none') }).listItems()).rejects.toThrow(
      /Joint_ASV_CM_protocol is missing/,
    );
  });
});
