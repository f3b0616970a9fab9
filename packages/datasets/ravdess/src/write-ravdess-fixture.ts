/**
 * A small, learnable RAVDESS (audio-only) in the published layout, for tests of the reader and of
 * experiments that read it: `Audio_Speech_Actors_01-24/Actor_XX/` and
 * `Audio_Song_Actors_01-24/Actor_XX/` holding `03-<vocal>-<emotion>-<intensity>-<statement>-<repetition>-<actor>.wav`,
 * 48 kHz mono 16-bit. Emotion, intensity and gender each sound as a tone in their own band, so the
 * stress mode (neutral vs fearful) is learnable too.
 */
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { fixtureLabelTone, synthesizeFixtureSound, writeWavFile } from '@polytask/data-reading/testing';
import { ravdessEmotions } from './index';

/** Options of {@link writeRavdessFixture}. */
export interface RavdessFixtureOptions {
  /** The folder to write the channel folders into; created when missing. */
  readonly directory: string;
  /** Actors 01..actorCount (odd male, even female; the groups). @default 4 */
  readonly actorCount?: number;
  /** Vocal channels to write: speech has the 8 emotions, song the first 6. @default ['speech', 'song'] */
  readonly channels?: readonly ('speech' | 'song')[];
  /** Statements per emotion and intensity (1 or 2). @default 1 */
  readonly statements?: 1 | 2;
  /** Repetitions per statement (1 or 2). @default 1 */
  readonly repetitions?: 1 | 2;
  /** Clip length in seconds (the published clips last about 4). @default 1 */
  readonly seconds?: number;
  /** @default 1 */
  readonly seed?: number;
}

const sampleRate = 48000;
const two = (value: number) => String(value).padStart(2, '0');

/**
 * Writes the fixture corpus: every actor with every emotion of a channel, at normal and (except
 * neutral, as published) strong intensity. Returns `directory`.
 * @throws InvalidArgumentError for an actor count outside 1-24.
 * @example createRavdessReader({ directory: writeRavdessFixture({ directory: temporaryFolder }) })
 */
export function writeRavdessFixture(options: RavdessFixtureOptions): string {
  const { directory } = options;
  const actorCount = options.actorCount ?? 4;
  if (!(Number.isInteger(actorCount) && actorCount >= 1 && actorCount <= 24))
    throw new InvalidArgumentError({
      argument: 'actorCount',
      value: actorCount,
      message: `actorCount must be an integer from 1 to 24 (RAVDESS has 24 actors); got ${actorCount}.`,
    });
  const seed = options.seed ?? 1;
  let clip = 0;
  for (const channel of options.channels ?? ['speech', 'song']) {
    const folder = path.join(directory, channel === 'speech' ? 'Audio_Speech_Actors_01-24' : 'Audio_Song_Actors_01-24');
    const vocal = channel === 'speech' ? 1 : 2;
    const emotionCount = channel === 'speech' ? 8 : 6;
    for (let actor = 1; actor <= actorCount; actor++) {
      const gender = actor % 2 === 1 ? 1 : 0;
      for (let emotion = 1; emotion <= emotionCount; emotion++) {
        for (const intensity of emotion === 1 ? [1] : [1, 2]) {
          for (let statement = 1; statement <= (options.statements ?? 1); statement++) {
            for (let repetition = 1; repetition <= (options.repetitions ?? 1); repetition++) {
              const fields = [3, vocal, emotion, intensity, statement, repetition, actor];
              writeWavFile({
                file: path.join(folder, `Actor_${two(actor)}`, `${fields.map(two).join('-')}.wav`),
                sampleRate,
                channels: synthesizeFixtureSound({
                  sampleRate,
                  seconds: options.seconds ?? 1,
                  tones: [
                    fixtureLabelTone({ index: emotion - 1, count: ravdessEmotions.length, lowest: 200, highest: 1200 }),
                    fixtureLabelTone({ index: intensity - 1, count: 2, lowest: 1500, highest: 2000 }),
                    fixtureLabelTone({ index: gender, count: 2, lowest: 2400, highest: 3400 }),
                  ],
                  seed: seed * 100000 + clip++,
                }),
              });
            }
          }
        }
      }
    }
  }
  return directory;
}
