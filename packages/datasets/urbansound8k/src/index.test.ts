import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import { createUrbanSound8kReader } from './index';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-us8k-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('@polytask/dataset-urbansound8k', () => {
  it('uses the fold column as the folds and fsID as the group', async () => {
    const rows = [
      '100032-3-0-0.wav,100032,0.0,0.317551,1,5,3,dog_bark',
      '100263-2-0-117.wav,100263,58.5,62.5,1,5,2,children_playing',
      '102305-6-0-0.wav,102305,0.0,2.6,1,1,6,gun_shot',
      '102305-6-0-1.wav,102305,2.6,5.2,2,1,6,gun_shot',
    ];
    for (const row of rows) {
      const [file, , , , , fold] = row.split(',');
      mkdirSync(path.join(root, 'audio', `fold${fold}`), { recursive: true });
      const wave = new WaveFile();
      wave.fromScratch(2, 48000, '24', [new Int32Array(48), new Int32Array(48)]);
      writeFileSync(path.join(root, 'audio', `fold${fold}`, file as string), wave.toBuffer());
    }
    mkdirSync(path.join(root, 'metadata'), { recursive: true });
    writeFileSync(
      path.join(root, 'metadata', 'UrbanSound8K.csv'),
      ['slice_file_name,fsID,start,end,salience,fold,classID,class', ...rows].join('\n'),
    );
    const reader = createUrbanSound8kReader({ directory: root });
    expect(reader.foldCount).toBe(10);
    const items = await reader.listItems();
    expect(items.map((item) => [item.id, item.labels.urban, item.fold, item.group])).toEqual([
      ['fold5/100032-3-0-0.wav', 'dog_bark', 4, '100032'],
      ['fold5/100263-2-0-117.wav', 'children_playing', 4, '100263'],
      ['fold1/102305-6-0-0.wav', 'gun_shot', 0, '102305'],
      ['fold1/102305-6-0-1.wav', 'gun_shot', 0, '102305'],
    ]);
    expect(items[3]?.metadata).toEqual({ salience: 2, start: 2.6, end: 5.2 });
  });

  it('names the missing metadata', async () => {
    await expect(createUrbanSound8kReader({ directory: path.join(root, 'none') }).listItems()).rejects.toThrow(
      /UrbanSound8K\.csv is missing/,
    );
  });
});
