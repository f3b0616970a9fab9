/**
 * A small, learnable TUT Sound Events 2017 development set (street) in the published layout, for
 * tests of the reader and of experiments that read it: `audio/street/<recording>.wav` (44.1 kHz
 * stereo 24-bit), `meta/street/<recording>.ann` (`onset<TAB>offset<TAB>event`), `meta.txt` and
 * `evaluation_setup/street_fold<k>_{train,evaluate,test}.txt` for k = 1-4. Each event sounds as
 * its own tone while it is annotated; onsets and lengths are multiples of 0.25 s, so an event
 * active in a one-second segment sounds there for at least a quarter of it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRandom } from '@polytask/core';
import { fixtureLabelTone, synthesizeFixtureSound, writeWavFile } from '@polytask/data-reading/testing';
import { dcase2017Events } from './index';

/** Options of {@link writeDcase2017EventsFixture}. */
export interface Dcase2017EventsFixtureOptions {
  /** The development set folder to write; created when missing. */
  readonly directory: string;
  /** Street recordings (the groups) per evaluation fold. @default 2 */
  readonly recordingsPerFold?: number;
  /** Recording length in seconds (the published ones last 3-5 minutes). @default 4 */
  readonly seconds?: number;
  /** Annotated events per recording, cycling through the six events across recordings. @default 4 */
  readonly eventsPerRecording?: number;
  /** @default 1 */
  readonly seed?: number;
}

const sampleRate = 44100;

/**
 * Writes the fixture development set. Returns `directory`.
 * @example createDcase2017EventsReader({ directory: writeDcase2017EventsFixture({ directory: temporaryFolder }) })
 */
export function writeDcase2017EventsFixture(options: Dcase2017EventsFixtureOptions): string {
  const { directory } = options;
  const seconds = options.seconds ?? 4;
  const seed = options.seed ?? 1;
  const random = createRandom(seed);
  const quarters = Math.max(1, Math.floor(seconds * 4));
  const meta: string[] = [];
  const folds: { file: string; lines: string[] }[][] = [[], [], [], []];
  let recording = 0;
  for (const fold of folds) {
    for (let recordingIndex = 0; recordingIndex < (options.recordingsPerFold ?? 2); recordingIndex++) {
      recording += 1;
      const name = `a${String(recording).padStart(3, '0')}`;
      const file = `audio/street/${name}.wav`;
      const events = Array.from({ length: options.eventsPerRecording ?? 4 }, (_, index) => {
        const label = dcase2017Events[(recording + index) % dcase2017Events.length] as string;
        const length = Math.min(quarters, 3 + Math.floor(random() * 4));
        const onset = Math.floor(random() * (quarters - length + 1)) / 4;
        return { label, onset, offset: onset + length / 4 };
      }).sort((first, second) => first.onset - second.onset);
      writeWavFile({
        file: path.join(directory, file),
        sampleRate,
        bitDepth: 24,
        channels: synthesizeFixtureSound({
          sampleRate,
          seconds,
          channelCount: 2,
          tones: events.map((event) => ({
            ...fixtureLabelTone({ index: dcase2017Events.indexOf(event.label), count: dcase2017Events.length }),
            onset: event.onset,
            offset: event.offset,
          })),
          seed: seed * 100000 + recording,
        }),
      });
      const lines = events.map((event) => `${file}\tstreet\t${event.onset.toFixed(6)}\t${event.offset.toFixed(6)}\t${event.label}\tm`);
      mkdirSync(path.join(directory, 'meta', 'street'), { recursive: true });
      writeFileSync(
        path.join(directory, 'meta', 'street', `${name}.ann`),
        `${events.map((event) => `${event.onset.toFixed(6)}\t${event.offset.toFixed(6)}\t${event.label}`).join('\n')}\n`,
      );
      meta.push(...lines);
      fold.push({ file, lines });
    }
  }
  mkdirSync(path.join(directory, 'evaluation_setup'), { recursive: true });
  writeFileSync(path.join(directory, 'meta.txt'), `${meta.join('\n')}\n`);
  for (const [foldIndex, fold] of folds.entries()) {
    const list = (part: string) => path.join(directory, 'evaluation_setup', `street_fold${foldIndex + 1}_${part}.txt`);
    const training = folds.filter((_, other) => other !== foldIndex).flat();
    writeFileSync(list('train'), `${training.flatMap(({ lines }) => lines).join('\n')}\n`);
    writeFileSync(list('evaluate'), `${fold.flatMap(({ lines }) => lines).join('\n')}\n`);
    writeFileSync(list('test'), `${fold.map(({ file }) => `${file}\tstreet`).join('\n')}\n`);
  }
  return directory;
}
