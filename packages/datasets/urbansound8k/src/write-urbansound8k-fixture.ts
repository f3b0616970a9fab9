/**
 * A small, learnable UrbanSound8K in the published layout, for tests of the reader and of
 * experiments that read it: `metadata/UrbanSound8K.csv` and
 * `audio/fold<N>/<fsID>-<classID>-<occurrenceID>-<sliceID>.wav` in all 10 folds, each class
 * sounding as its own tone. As in the corpus, formats vary from file to file (44.1 kHz stereo
 * 16-bit, 48 kHz stereo 24-bit, 22.05 kHz mono 16-bit).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { fixtureLabelTone, synthesizeFixtureSound, writeWavFile } from '@polytask/data-reading/testing';
import { urbanSoundClasses } from './index';

/** Options of {@link writeUrbanSound8kFixture}. */
export interface UrbanSound8kFixtureOptions {
  /** The corpus root to write (`metadata/`, `audio/`); created when missing. */
  readonly directory: string;
  /** Classes to write, from `urbanSoundClasses`. @default ['children_playing', 'dog_bark', 'siren', 'street_music'] */
  readonly classes?: readonly string[];
  /** Freesound recordings (`fsID`, the groups) per class and fold. @default 1 */
  readonly recordingsPerClassAndFold?: number;
  /** Consecutive slices cut from each recording, all in its fold. @default 2 */
  readonly slicesPerRecording?: number;
  /** Slice length in seconds (the published slices last up to 4). @default 1 */
  readonly seconds?: number;
  /** @default 1 */
  readonly seed?: number;
}

const formats = [
  { sampleRate: 44100, channelCount: 2, bitDepth: 16 },
  { sampleRate: 48000, channelCount: 2, bitDepth: 24 },
  { sampleRate: 22050, channelCount: 1, bitDepth: 16 },
] as const;

/**
 * Writes the fixture corpus: every class in each of the 10 folds. Returns `directory`.
 * @throws InvalidArgumentError naming a class that UrbanSound8K does not have.
 * @example createUrbanSound8kReader({ directory: writeUrbanSound8kFixture({ directory: temporaryFolder }) })
 */
export function writeUrbanSound8kFixture(options: UrbanSound8kFixtureOptions): string {
  const { directory } = options;
  const classes = options.classes ?? ['children_playing', 'dog_bark', 'siren', 'street_music'];
  const unknown = classes.find((name) => !urbanSoundClasses.includes(name));
  if (unknown !== undefined)
    throw new InvalidArgumentError({
      argument: 'classes',
      value: unknown,
      message: `"${unknown}" is not an UrbanSound8K class; choose from urbanSoundClasses (e.g. "dog_bark", "siren").`,
    });
  const seconds = options.seconds ?? 1;
  const seed = options.seed ?? 1;
  const rows = ['slice_file_name,fsID,start,end,salience,fold,classID,class'];
  let recording = 100000 + seed * 1000;
  let fileCount = 0;
  for (let fold = 1; fold <= 10; fold++) {
    for (const [index, name] of classes.entries()) {
      const classId = urbanSoundClasses.indexOf(name);
      for (let recordingIndex = 0; recordingIndex < (options.recordingsPerClassAndFold ?? 1); recordingIndex++) {
        recording += 53;
        for (let slice = 0; slice < (options.slicesPerRecording ?? 2); slice++) {
          const format = formats[fileCount++ % formats.length] as (typeof formats)[number];
          const file = `${recording}-${classId}-0-${slice}.wav`;
          writeWavFile({
            file: path.join(directory, 'audio', `fold${fold}`, file),
            sampleRate: format.sampleRate,
            bitDepth: format.bitDepth,
            channels: synthesizeFixtureSound({
              sampleRate: format.sampleRate,
              seconds,
              channelCount: format.channelCount,
              tones: [fixtureLabelTone({ index, count: classes.length })],
              seed: recording * 10 + slice,
            }),
          });
          const start = slice * seconds;
          rows.push([file, recording, start, start + seconds, 1 + (slice % 2), fold, classId, name].join(','));
        }
      }
    }
  }
  mkdirSync(path.join(directory, 'metadata'), { recursive: true });
  writeFileSync(path.join(directory, 'metadata', 'UrbanSound8K.csv'), `${rows.join('\n')}\n`);
  return directory;
}
