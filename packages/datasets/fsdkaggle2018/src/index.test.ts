import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import { createFsdKaggle2018Reader } from './index';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-fsd-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const wav = () => {
  const wave = new WaveFile();
  wave.fromScratch(1, 44100, '16', new Int16Array(44));
  return wave.toBuffer();
};

describe('@polytask/dataset-fsdkaggle2018', () => {
  mkdirSync(path.join(root, 'FSDKaggle2018.meta'), { recursive: true });
  mkdirSync(path.join(root, 'FSDKaggle2018.audio_train'), { recursive: true });
  mkdirSync(path.join(root, 'FSDKaggle2018.audio_test'), { recursive: true });
  writeFileSync(
    path.join(root, 'FSDKaggle2018.meta', 'train_post_competition.csv'),
    'fname,label,manually_verified,freesound_id,license\n00044347.wav,Hi-hat,0,28739,Attribution\n001ca53d.wav,Saxophone,1,358827,Attribution\n',
  );
  writeFileSync(
    path.join(root, 'FSDKaggle2018.meta', 'test_post_competition_scoring_clips.csv'),
    'fname,label,usage,freesound_id,license\n00326aa9.wav,Oboe,Private,355125,Attribution\n',
  );
  for (const file of ['00044347.wav', '001ca53d.wav']) writeFileSync(path.join(root, 'FSDKaggle2018.audio_train', file), wav());
  writeFileSync(path.join(root, 'FSDKaggle2018.audio_test', '00326aa9.wav'), wav());

  it('reads the predefined split, labels sorted from the training CSV, and the verified flag', async () => {
    const reader = createFsdKaggle2018Reader({ directory: root });
    expect(reader.tasks[0]?.labels).toEqual(['Hi-hat', 'Saxophone']);
    const items = await reader.listItems();
    expect(items.map((item) => [item.id, item.labels.sound, item.split, item.group, item.metadata])).toEqual([
      ['train/00044347.wav', 'Hi-hat', 'train', '28739', { manuallyVerified: 0 }],
      ['train/001ca53d.wav', 'Saxophone', 'train', '358827', { manuallyVerified: 1 }],
      ['test/00326aa9.wav', 'Oboe', 'test', '355125', { usage: 'Private' }],
    ]);
    expect((await createFsdKaggle2018Reader({ directory: root, verifiedOnly: true }).listItems()).map((item) => item.id)).toEqual([
      'train/001ca53d.wav',
      'test/00326aa9.wav',
    ]);
  });

  it('names the missing metadata', async () => {
    expect(() => createFsdKaggle2018Reader({ directory: path.join(root, 'none') }).tasks).toThrow(
      /neither .*train_post_competition\.csv nor .*train\.csv exists/,
    );
  });
});
