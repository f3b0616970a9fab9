import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import { createEsc50Reader, esc50Categories } from './index';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-esc50-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const wav = () => {
  const wave = new WaveFile();
  wave.fromScratch(1, 44100, '16', new Int16Array(441));
  return wave.toBuffer();
};

function fixture(name: string, rows: string[]) {
  const directory = path.join(root, name);
  mkdirSync(path.join(directory, 'meta'), { recursive: true });
  mkdirSync(path.join(directory, 'audio'), { recursive: true });
  writeFileSync(path.join(directory, 'meta', 'esc50.csv'), ['filename,fold,target,category,esc10,src_file,take', ...rows].join('\n'));
  for (const row of rows) writeFileSync(path.join(directory, 'audio', row.split(',')[0] as string), wav());
  return directory;
}

describe('@polytask/dataset-esc50', () => {
  const rows = [
    '1-100032-A-0.wav,1,0,dog,True,100032,A',
    '1-100038-A-14.wav,1,14,chirping_birds,False,100038,A',
    '1-100038-B-14.wav,1,14,chirping_birds,False,100038,B',
    '5-9032-A-0.wav,5,0,dog,True,9032,A',
  ];

  it('lists items with categories, folds 0-4 and the source clip as group', async () => {
    const items = await createEsc50Reader({ directory: fixture('full', rows) }).listItems();
    expect(items.map((item) => [item.id, item.labels.sound, item.fold, item.group])).toEqual([
      ['1-100032-A-0.wav', 'dog', 0, '100032'],
      ['1-100038-A-14.wav', 'chirping_birds', 0, '100038'],
      ['1-100038-B-14.wav', 'chirping_birds', 0, '100038'],
      ['5-9032-A-0.wav', 'dog', 4, '9032'],
    ]);
    expect(esc50Categories).toHaveLength(50);
    expect(esc50Categories[14]).toBe('chirping_birds');
  });

  it('reads the ESC-10 subset', async () => {
    const reader = createEsc50Reader({ directory: fixture('esc10', rows), esc10: true });
    expect(reader.name).toBe('esc10');
    expect((await reader.listItems()).map((item) => item.id)).toEqual(['1-100032-A-0.wav', '5-9032-A-0.wav']);
    expect(reader.tasks[0]?.labels).toHaveLength(10);
  });

  it('names a missing metadata file, column or audio file', async () => {
    await expect(createEsc50Reader({ directory: path.join(root, 'nowhere') }).listItems()).rejects.toThrow(/esc50\.csv is missing/);
    const broken = fixture('broken', rows);
    writeFileSync(path.join(broken, 'meta', 'esc50.csv'), 'filename,fold,target\nx.wav,1,0\n');
    await expect(createEsc50Reader({ directory: broken }).listItems()).rejects.toThrow(/has no column "category", "esc10", "src_file"/);
    const partial = fixture('partial', rows);
    rmSync(path.join(partial, 'audio', '5-9032-A-0.wav'));
    await expect(createEsc50Reader({ directory: partial }).listItems()).rejects.toThrow(
      /1 audio file\(s\) .* missing, first .*5-9032-A-0\.wav/,
    );
  });
});
