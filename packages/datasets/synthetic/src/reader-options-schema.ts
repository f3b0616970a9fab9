/**
 * The options schema of the package's `createReader`, which the polytask CLI checks a config's
 * options against before creating the reader: `corpus` picks the generated corpus, the other
 * options are that corpus's generator options.
 */
import { defineReaderOptions } from '@polytask/data-reading';
import { type SyntheticCorpusName, syntheticCorpusNames } from './create-reader';
import type { SyntheticCorpusOptions } from './synthetic-corpus';
import type { SyntheticScenesOptions } from './synthetic-scenes';
import type { SyntheticTonesOptions } from './synthetic-tones';

/** Every option of either corpus (`createReader` rejects one that belongs to the other corpus). */
type AnySyntheticReaderOptions = { readonly corpus?: SyntheticCorpusName } & SyntheticCorpusOptions &
  SyntheticScenesOptions &
  SyntheticTonesOptions;

/** The options of `createReader`, checked by the polytask CLI before it creates the reader. */
export const readerOptionsSchema = defineReaderOptions<AnySyntheticReaderOptions>({
  corpus: {
    type: 'string',
    values: [...syntheticCorpusNames],
    default: 'voices',
    description:
      'The generated corpus: voices (keyword, pitch, noise), scenes (scene, events) or tones (tone: pitch and level, regression)',
  },
  directory: { type: 'string', required: true, description: 'Folder to generate the corpus in (an existing complete corpus is kept)' },
  clipsPerSpeakerAndKeyword: { type: 'integer', default: 4, description: 'voices only: clips per keyword and speaker' },
  clipsPerSiteAndScene: { type: 'integer', default: 8, description: 'scenes only: clips per scene and recording site' },
  clipsPerSession: { type: 'integer', default: 24, description: 'tones only: clips per recording session (six sessions)' },
  sampleRate: { type: 'integer', description: 'Sample rate in Hz (default 16000 for voices, 22050 for scenes)' },
  seconds: { type: 'number', default: 1, description: 'Clip length in seconds' },
  seed: { type: 'integer', description: 'Generator seed (default 2021 for voices, 2017 for scenes, 440 for tones)' },
});
