/**
 * A small, learnable TUT Acoustic Scenes 2017 development set in the published layout, for tests
 * of the reader and of experiments that read it: `meta.txt` (`file<TAB>scene<TAB>location`),
 * `audio/<location>_<start>_<end>.wav` (44.1 kHz stereo 24-bit) and
 * `evaluation_setup/fold<k>_{train,evaluate,test}.txt` for k = 1-4, every scene sounding as its own tone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { fixtureLabelTone, synthesizeFixtureSound, writeWavFile } from '@polytask/data-reading/testing';
import { dcase2017Scenes } from './index';

/** Options of {@link writeDcase2017ScenesFixture}. */
export interface Dcase2017ScenesFixtureOptions {
  /** The development set folder to write; created when missing. */
  readonly directory: string;
  /** Scenes to write, from `dcase2017Scenes`. @default ['bus', 'cafe/restaurant', 'park', 'residential_area'] */
  readonly scenes?: readonly string[];
  /** Recording locations (the groups) per scene and fold. @default 1 */
  readonly locationsPerSceneAndFold?: number;
  /** Segments per location, all in its fold (named as the published 10-second segments, whatever `seconds`). @default 2 */
  readonly segmentsPerLocation?: number;
  /** Segment length in seconds (the published segments last 10). @default 1 */
  readonly seconds?: number;
  /** @default 1 */
  readonly seed?: number;
}

const sampleRate = 44100;

/**
 * Writes the fixture development set: every scene in each of the 4 evaluation folds. Returns `directory`.
 * @throws InvalidArgumentError naming a scene that the corpus does not have.
 * @example createDcase2017ScenesReader({ directory: writeDcase2017ScenesFixture({ directory: temporaryFolder }) })
 */
export function writeDcase2017ScenesFixture(options: Dcase2017ScenesFixtureOptions): string {
  const { directory } = options;
  const scenes = options.scenes ?? ['bus', 'cafe/restaurant', 'park', 'residential_area'];
  const unknown = scenes.find((scene) => !dcase2017Scenes.includes(scene));
  if (unknown !== undefined)
    throw new InvalidArgumentError({
      argument: 'scenes',
      value: unknown,
      message: `"${unknown}" is not a TUT Acoustic Scenes 2017 scene; choose from dcase2017Scenes (e.g. "bus", "park").`,
    });
  const seed = options.seed ?? 1;
  const meta: string[] = [];
  const folds: { file: string; scene: string }[][] = [[], [], [], []];
  let location = 0;
  for (const fold of folds) {
    for (const [index, scene] of scenes.entries()) {
      for (let locationIndex = 0; locationIndex < (options.locationsPerSceneAndFold ?? 1); locationIndex++) {
        location += 1;
        const locationId = `a${String(location).padStart(3, '0')}`;
        for (let segment = 0; segment < (options.segmentsPerLocation ?? 2); segment++) {
          const file = `audio/${locationId}_${segment * 10}_${segment * 10 + 10}.wav`;
          writeWavFile({
            file: path.join(directory, file),
            sampleRate,
            bitDepth: 24,
            channels: synthesizeFixtureSound({
              sampleRate,
              seconds: options.seconds ?? 1,
              channelCount: 2,
              tones: [fixtureLabelTone({ index, count: scenes.length })],
              seed: seed * 100000 + location * 100 + segment,
            }),
          });
          meta.push(`${file}\t${scene}\t${locationId}`);
          fold.push({ file, scene });
        }
      }
    }
  }
  mkdirSync(path.join(directory, 'evaluation_setup'), { recursive: true });
  writeFileSync(path.join(directory, 'meta.txt'), `${meta.join('\n')}\n`);
  for (const [foldIndex, fold] of folds.entries()) {
    const name = (part: string) => path.join(directory, 'evaluation_setup', `fold${foldIndex + 1}_${part}.txt`);
    const training = folds.filter((_, other) => other !== foldIndex).flat();
    writeFileSync(name('train'), `${training.map(({ file, scene }) => `${file}\t${scene}`).join('\n')}\n`);
    writeFileSync(name('evaluate'), `${fold.map(({ file, scene }) => `${file}\t${scene}`).join('\n')}\n`);
    writeFileSync(name('test'), `${fold.map(({ file }) => file).join('\n')}\n`);
  }
  return directory;
}
