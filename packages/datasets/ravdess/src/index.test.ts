import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import { createRavdessReader } from './index';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-ravdess-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const wav = () => {
  const wave = new WaveFile();
  wave.fromScratch(1, 48000, '16', new Int16Array(48));
  return wave.toBuffer();
};
const put = (folder: string, actor: string, file: string) => {
  mkdirSync(path.join(root, folder, actor), { recursive: true });
  writeFileSync(path.join(root, folder, actor, file), wav());
};

describe('@polytask/dataset-ravdess', () => {
  put('Audio_Speech_Actors_01-24', 'Actor_01', '03-01-05-02-01-01-01.wav');
  put('Audio_Speech_Actors_01-24', 'Actor_01', '03-01-01-01-02-02-01.wav');
  put('Audio_Speech_Actors_01-24', 'Actor_12', '03-01-08-01-01-01-12.wav');
  // the published song archive unpacks as "actors" in lower case on some copies
  put('Audio_Song_actors_01-24', 'Actor_02', '03-02-06-02-02-01-02.wav');

  it('decodes the file-name fields into emotion, intensity and gender, with the actor as group', async () => {
    const items = await createRavdessReader({ directory: root }).listItems();
    expect(items.map((item) => [item.id, item.labels, item.group, item.metadata?.channel])).toEqual([
      ['Actor_01/03-01-01-01-02-02-01.wav', { emotion: 'neutral', intensity: 'normal', gender: 'male' }, 'Actor_01', 'speech'],
      ['Actor_01/03-01-05-02-01-01-01.wav', { emotion: 'angry', intensity: 'strong', gender: 'male' }, 'Actor_01', 'speech'],
      ['Actor_12/03-01-08-01-01-01-12.wav', { emotion: 'surprised', intensity: 'normal', gender: 'female' }, 'Actor_12', 'speech'],
      ['Actor_02/03-02-06-02-02-01-02.wav', { emotion: 'fearful', intensity: 'strong', gender: 'female' }, 'Actor_02', 'song'],
    ]);
  });

  it('reads one channel, and names a missing folder or a malformed file name', async () => {
    expect(await createRavdessReader({ directory: root, channels: ['song'] }).listItems()).toHaveLength(1);
    await expect(createRavdessReader({ directory: path.join(root, 'none'), channels: ['speech'] }).listItems()).rejects.toThrow(
      /Audio_Speech_Actors_01-24 is missing/,
    );
    put('Audio_Speech_Actors_01-24', 'Actor_03', '03-01-05.wav');
    await expect(createRavdessReader({ directory: root, channels: ['speech'] }).listItems()).rejects.toThrow(
      /03-01-05\.wav: a RAVDESS file name has 7 two-digit fields/,
    );
  });
});
