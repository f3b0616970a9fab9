import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { createReader, type SyntheticReaderOptions } from './index';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-synthetic-reader-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sampleRateOf = (file: string) => (new wavefile.WaveFile(readFileSync(file)).fmt as { sampleRate: number }).sampleRate;

describe('createReader', () => {
  it('generates and reads the voices corpus by default and the scenes corpus on request: different names, tasks and sample rates', async () => {
    const voices = createReader({ directory: path.join(root, 'voices'), clipsPerSpeakerAndKeyword: 1, seconds: 0.1 });
    const scenes = createReader({ corpus: 'scenes', directory: path.join(root, 'scenes'), clipsPerSiteAndScene: 1, seconds: 0.1 });
    expect(voices.name).toBe('synthetic');
    expect(scenes.name).toBe('synthetic-scenes');
    expect(voices.tasks.map((task) => `${task.name}:${task.kind}:${task.labels.length}`)).toEqual([
      'keyword:multi-class:4',
      'pitch:binary:2',
      'noise:multi-label:2',
    ]);
    expect(scenes.tasks.map((task) => `${task.name}:${task.kind}:${task.labels.length}`)).toEqual([
      'scene:multi-class:3',
      'events:multi-label:3',
    ]);
    const [voiceItem] = await voices.listItems();
    const [sceneItem] = await scenes.listItems();
    expect(sampleRateOf(voiceItem?.path ?? '')).toBe(16000);
    expect(sampleRateOf(sceneItem?.path ?? '')).toBe(22050);
    expect(readdirSync(path.join(root, 'scenes', 'sites'))).toHaveLength(8);
  });

  it('records its generator settings as the reader options, so other settings never share a feature cache', () => {
    const directory = path.join(root, 'settings');
    const first = createReader({ directory, clipsPerSpeakerAndKeyword: 1, seconds: 0.1, seed: 1 });
    const second = createReader({ directory, clipsPerSpeakerAndKeyword: 1, seconds: 0.1, seed: 2 });
    expect(first.options).toEqual({ directory, clipsPerSpeakerAndKeyword: 1, seconds: 0.1, seed: 1 });
    expect(second.options).not.toEqual(first.options);
  });

  it('accepts the options of a JSON config and rejects an unknown corpus, a missing directory and the other corpus’s options', () => {
    const create = (options: Record<string, unknown>) => () => createReader(options as unknown as SyntheticReaderOptions);
    expect(create({ corpus: 'birds', directory: root })).toThrow(/has no corpus "birds"; set "corpus" to "voices", "scenes", "tones"/);
    expect(create({ corpus: 'scenes' })).toThrow(/needs "directory", the folder to generate the scenes corpus in/);
    expect(create({ corpus: 'scenes', directory: root, clipsPerSpeakerAndKeyword: 2 })).toThrow(
      /the scenes corpus takes no option "clipsPerSpeakerAndKeyword"; its options are corpus, directory, clipsPerSiteAndScene/,
    );
    expect(create({ directory: root, clipsPerSiteAndScene: 2 })).toThrow(/the voices corpus takes no option "clipsPerSiteAndScene"/);
    expect(create({ corpus: 'birds', directory: root })).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError', argument: 'corpus' }),
    );
  });
});
