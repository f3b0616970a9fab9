/**
 * The package's reader factory, the one experiment configs use (`{ "reader": "synthetic",
 * "options": { ... } }`): picks one of the generated corpora with `corpus`, generates it when
 * its folder holds none, and returns its reader.
 */
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import type { DataReader } from '@polytask/data-reading';
import { createSyntheticReader, generateSyntheticCorpus, type SyntheticCorpusOptions } from './synthetic-corpus';
import { createSyntheticScenesReader, generateSyntheticScenes, type SyntheticScenesOptions } from './synthetic-scenes';
import { createSyntheticTonesReader, generateSyntheticTones, type SyntheticTonesOptions } from './synthetic-tones';

/** The generated corpora: `voices` (reader `synthetic`), `scenes` (reader `synthetic-scenes`) and `tones` (reader `synthetic-tones`, regression). */
export const syntheticCorpusNames = ['voices', 'scenes', 'tones'] as const;

/** One of {@link syntheticCorpusNames}. */
export type SyntheticCorpusName = (typeof syntheticCorpusNames)[number];

/** Options of {@link createReader}: the corpus, then that corpus's generator options. */
export type SyntheticReaderOptions =
  | ({ /** @default 'voices' */ readonly corpus?: 'voices' } & SyntheticCorpusOptions)
  | ({ readonly corpus: 'scenes' } & SyntheticScenesOptions)
  | ({ readonly corpus: 'tones' } & SyntheticTonesOptions);

const optionNames: Readonly<Record<SyntheticCorpusName, readonly string[]>> = {
  voices: ['corpus', 'directory', 'clipsPerSpeakerAndKeyword', 'sampleRate', 'seconds', 'seed'],
  scenes: ['corpus', 'directory', 'clipsPerSiteAndScene', 'sampleRate', 'seconds', 'seed'],
  tones: ['corpus', 'directory', 'clipsPerSession', 'sampleRate', 'seconds', 'seed'],
};

/** Checks options that may come from a JSON config; returns the corpus. */
function checkOptions(readerOptions: SyntheticReaderOptions): SyntheticCorpusName {
  const options: Readonly<Record<string, unknown>> = { ...readerOptions };
  const corpus = options.corpus ?? 'voices';
  if (!syntheticCorpusNames.includes(corpus as SyntheticCorpusName)) {
    throw new InvalidArgumentError({
      argument: 'corpus',
      value: corpus,
      message: `@polytask/dataset-synthetic has no corpus ${JSON.stringify(corpus)}; set "corpus" to ${syntheticCorpusNames.map((name) => `"${name}"`).join(', ')} (default "voices").`,
    });
  }
  if (typeof options.directory !== 'string' || options.directory === '') {
    throw new InvalidArgumentError({
      argument: 'directory',
      value: options.directory,
      message: `@polytask/dataset-synthetic needs "directory", the folder to generate the ${corpus} corpus in (e.g. ".polytask/data/${corpus}").`,
    });
  }
  const allowed = optionNames[corpus as SyntheticCorpusName];
  const unknown = Object.keys(options).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    throw new InvalidArgumentError({
      argument: unknown[0] as string,
      value: options[unknown[0] as string],
      message: `@polytask/dataset-synthetic: the ${corpus} corpus takes no option ${unknown.map((name) => `"${name}"`).join(', ')}; its options are ${allowed.join(', ')}.`,
    });
  }
  return corpus as SyntheticCorpusName;
}

/**
 * The reader factory every reader package exports (used by the polytask CLI and experiment
 * configs); generates the chosen corpus first when its folder holds none.
 * @throws InvalidArgumentError naming the option when `corpus` is unknown, `directory` is missing, or an option belongs to the other corpus.
 * @example createReader({ corpus: 'scenes', directory: '.polytask/data/scenes' }).name // 'synthetic-scenes'
 */
export function createReader(options: SyntheticReaderOptions): DataReader {
  const corpus = checkOptions(options);
  // the generator settings determine the audio, so they are part of the feature cache key
  const readerOptions = { ...options, directory: path.resolve(options.directory) };
  if (corpus === 'tones') {
    generateSyntheticTones(options as SyntheticTonesOptions);
    return { ...createSyntheticTonesReader(options), options: readerOptions };
  }
  if (corpus === 'scenes') {
    generateSyntheticScenes(options as SyntheticScenesOptions);
    return { ...createSyntheticScenesReader(options), options: readerOptions };
  }
  generateSyntheticCorpus(options as SyntheticCorpusOptions);
  return { ...createSyntheticReader(options), options: readerOptions };
}
