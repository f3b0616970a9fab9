/**
 * A small, learnable Speech Commands v0.02 in the published layout, for tests of the reader and of
 * experiments that read it: one folder per word holding `<speaker>_nohash_<n>.wav`, the official
 * `testing_list.txt` and `validation_list.txt`, `_background_noise_/`, `README.md` and `LICENSE`;
 * 16 kHz mono 16-bit, every word sounding as its own tone and background noise as noise alone.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { fixtureLabelTone, synthesizeFixtureSound, writeWavFile } from '@polytask/data-reading/testing';
import { speechCommandsKeywords, speechCommandsWords } from './index';

/** Options of {@link writeSpeechCommandsFixture}. */
export interface SpeechCommandsFixtureOptions {
  /** The corpus root to write (the unpacked `speech_commands_v0.02`); created when missing. */
  readonly directory: string;
  /** Word folders to write, from `speechCommandsWords`. @default the 10 keywords, 'bed' and 'marvin' (two `_unknown_` words of the 12-class task) */
  readonly words?: readonly string[];
  /** Speakers (the groups), each saying every word; the first is in the testing list, the second in the validation list. @default 4 */
  readonly speakerCount?: number;
  /** Utterances per speaker and word (`_nohash_0`, `_nohash_1`, ...). @default 1 */
  readonly utterancesPerSpeaker?: number;
  /** Utterance length in seconds (the published ones last up to 1). @default 1 */
  readonly seconds?: number;
  /** Length of each of the two background-noise recordings, cut into one-second `_silence_` items. @default 3 */
  readonly backgroundNoiseSeconds?: number;
  /** @default 1 */
  readonly seed?: number;
}

const sampleRate = 16000;

/**
 * Writes the fixture corpus. Returns `directory`.
 * @throws InvalidArgumentError naming a word that Speech Commands v0.02 does not have, or fewer than 3 speakers.
 * @example createSpeechCommandsReader({ directory: writeSpeechCommandsFixture({ directory: temporaryFolder }), variant: 12 })
 */
export function writeSpeechCommandsFixture(options: SpeechCommandsFixtureOptions): string {
  const { directory } = options;
  const words = options.words ?? [...speechCommandsKeywords, 'bed', 'marvin'];
  const unknown = words.find((word) => !speechCommandsWords.includes(word));
  if (unknown !== undefined)
    throw new InvalidArgumentError({
      argument: 'words',
      value: unknown,
      message: `"${unknown}" is not a Speech Commands v0.02 word; choose from speechCommandsWords (e.g. "yes", "marvin").`,
    });
  const speakerCount = options.speakerCount ?? 4;
  if (!(Number.isInteger(speakerCount) && speakerCount >= 3))
    throw new InvalidArgumentError({
      argument: 'speakerCount',
      value: speakerCount,
      message: `speakerCount must be an integer of at least 3 (a testing, a validation and a training speaker); got ${speakerCount}.`,
    });
  const seed = options.seed ?? 1;
  const speakers = Array.from({ length: speakerCount }, (_, index) =>
    ((0x0a7c2a8d + (seed * 31 + index) * 0x1f3e5b7) >>> 0).toString(16).padStart(8, '0'),
  );
  let clip = 0;
  const testing: string[] = [];
  const validation: string[] = [];
  for (const [index, word] of words.entries()) {
    for (const [speakerIndex, speaker] of speakers.entries()) {
      for (let utterance = 0; utterance < (options.utterancesPerSpeaker ?? 1); utterance++) {
        const relative = `${word}/${speaker}_nohash_${utterance}.wav`;
        writeWavFile({
          file: path.join(directory, relative),
          sampleRate,
          channels: synthesizeFixtureSound({
            sampleRate,
            seconds: options.seconds ?? 1,
            tones: [fixtureLabelTone({ index, count: words.length })],
            seed: seed * 100000 + clip++,
          }),
        });
        if (speakerIndex === 0) testing.push(relative);
        if (speakerIndex === 1) validation.push(relative);
      }
    }
  }
  for (const file of ['doing_the_dishes.wav', 'white_noise.wav']) {
    writeWavFile({
      file: path.join(directory, '_background_noise_', file),
      sampleRate,
      channels: synthesizeFixtureSound({
        sampleRate,
        seconds: options.backgroundNoiseSeconds ?? 3,
        tones: [],
        noiseLevel: 0.2,
        seed: seed * 100000 + clip++,
      }),
    });
  }
  writeFileSync(path.join(directory, '_background_noise_', 'README.md'), 'Longer recordings of background noise (fixture).\n');
  writeFileSync(path.join(directory, 'testing_list.txt'), `${testing.join('\n')}\n`);
  writeFileSync(path.join(directory, 'validation_list.txt'), `${validation.join('\n')}\n`);
  writeFileSync(path.join(directory, 'README.md'), 'Speech Commands v0.02 fixture written by writeSpeechCommandsFixture.\n');
  writeFileSync(path.join(directory, 'LICENSE'), 'CC BY 4.0 (fixture).\n');
  return directory;
}
