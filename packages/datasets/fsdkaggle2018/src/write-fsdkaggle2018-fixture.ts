/**
 * A small, learnable FSDKaggle2018 in either published layout, for tests of the reader and of
 * experiments that read it. Zenodo: `FSDKaggle2018.meta/train_post_competition.csv` and
 * `test_post_competition_scoring_clips.csv`, `FSDKaggle2018.audio_train/`, `FSDKaggle2018.audio_test/`.
 * Kaggle: `train.csv`, `test_post_competition.csv` (with an `Ignored` padding clip), `audio_train/`,
 * `audio_test/`. 44.1 kHz mono 16-bit, every label sounding as its own tone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { fixtureLabelTone, synthesizeFixtureSound, writeWavFile } from '@polytask/data-reading/testing';

/** The 41 labels of FSDKaggle2018. */
const fsdKaggle2018Labels: readonly string[] = [
  'Acoustic_guitar',
  'Applause',
  'Bark',
  'Bass_drum',
  'Burping_or_eructation',
  'Bus',
  'Cello',
  'Chime',
  'Clarinet',
  'Computer_keyboard',
  'Cough',
  'Cowbell',
  'Double_bass',
  'Drawer_open_or_close',
  'Electric_piano',
  'Fart',
  'Finger_snapping',
  'Fireworks',
  'Flute',
  'Glockenspiel',
  'Gong',
  'Gunshot_or_gunfire',
  'Harmonica',
  'Hi-hat',
  'Keys_jangling',
  'Knock',
  'Laughter',
  'Meow',
  'Microwave_oven',
  'Oboe',
  'Saxophone',
  'Scissors',
  'Shatter',
  'Snare_drum',
  'Squeak',
  'Tambourine',
  'Tearing',
  'Telephone',
  'Trumpet',
  'Violin_or_fiddle',
  'Writing',
];

/** Options of {@link writeFsdKaggle2018Fixture}. */
export interface FsdKaggle2018FixtureOptions {
  /** The corpus root to write; created when missing. */
  readonly directory: string;
  /** The Zenodo release layout or the Kaggle competition layout. @default 'zenodo' */
  readonly layout?: 'zenodo' | 'kaggle';
  /** Labels to write, of the 41 of FSDKaggle2018. @default ['Applause', 'Bark', 'Cello', 'Saxophone'] */
  readonly labels?: readonly string[];
  /** Training clips per label, alternately manually verified or not. @default 3 */
  readonly trainClipsPerLabel?: number;
  /** Test clips per label, alternately of Public and Private usage. @default 1 */
  readonly testClipsPerLabel?: number;
  /** Clip length in seconds (the published clips last 0.3-30). @default 1 */
  readonly seconds?: number;
  /** @default 1 */
  readonly seed?: number;
}

const sampleRate = 44100;

/**
 * Writes the fixture corpus; every clip has its own Freesound id (the groups). Returns `directory`.
 * @throws InvalidArgumentError naming a label that FSDKaggle2018 does not have.
 * @example createFsdKaggle2018Reader({ directory: writeFsdKaggle2018Fixture({ directory: temporaryFolder }) })
 */
export function writeFsdKaggle2018Fixture(options: FsdKaggle2018FixtureOptions): string {
  const { directory } = options;
  const labels = options.labels ?? ['Applause', 'Bark', 'Cello', 'Saxophone'];
  const unknown = labels.find((label) => !fsdKaggle2018Labels.includes(label));
  if (unknown !== undefined)
    throw new InvalidArgumentError({
      argument: 'labels',
      value: unknown,
      message: `"${unknown}" is not an FSDKaggle2018 label (e.g. "Bark", "Hi-hat", "Violin_or_fiddle").`,
    });
  const zenodo = (options.layout ?? 'zenodo') === 'zenodo';
  const where = zenodo
    ? {
        meta: 'FSDKaggle2018.meta',
        train: 'train_post_competition.csv',
        test: 'test_post_competition_scoring_clips.csv',
        trainAudio: 'FSDKaggle2018.audio_train',
        testAudio: 'FSDKaggle2018.audio_test',
      }
    : { meta: '.', train: 'train.csv', test: 'test_post_competition.csv', trainAudio: 'audio_train', testAudio: 'audio_test' };
  const seed = options.seed ?? 1;
  let clip = 0;
  const write = (folder: string, label: string | undefined) => {
    clip += 1;
    const fname = `${((0x00044347 + (seed * 4099 + clip) * 0x9e3779b) >>> 0).toString(16).padStart(8, '0')}.wav`;
    writeWavFile({
      file: path.join(directory, folder, fname),
      sampleRate,
      channels: synthesizeFixtureSound({
        sampleRate,
        seconds: options.seconds ?? 1,
        tones: label === undefined ? [] : [fixtureLabelTone({ index: labels.indexOf(label), count: labels.length })],
        seed: seed * 100000 + clip,
      }),
    });
    return { fname, freesoundId: 20000 + seed * 1000 + clip, license: clip % 2 ? 'Attribution' : 'Creative Commons 0' };
  };
  const train = [zenodo ? 'fname,label,manually_verified,freesound_id,license' : 'fname,label,manually_verified'];
  const test = ['fname,label,usage,freesound_id,license'];
  for (const label of labels) {
    for (let index = 0; index < (options.trainClipsPerLabel ?? 3); index++) {
      const { fname, freesoundId, license } = write(where.trainAudio, label);
      const verified = index % 2 === 0 ? 1 : 0;
      train.push((zenodo ? [fname, label, verified, freesoundId, license] : [fname, label, verified]).join(','));
    }
    for (let index = 0; index < (options.testClipsPerLabel ?? 1); index++) {
      const { fname, freesoundId, license } = write(where.testAudio, label);
      test.push([fname, label, index % 2 === 0 ? 'Public' : 'Private', freesoundId, license].join(','));
    }
  }
  if (!zenodo) {
    // the competition's test list pads the scored clips with unscored ones
    const { fname, freesoundId, license } = write(where.testAudio, undefined);
    test.push([fname, 'None', 'Ignored', freesoundId, license].join(','));
  }
  mkdirSync(path.join(directory, where.meta), { recursive: true });
  writeFileSync(path.join(directory, where.meta, where.train), `${train.join('\n')}\n`);
  writeFileSync(path.join(directory, where.meta, where.test), `${test.join('\n')}\n`);
  return directory;
}
