/**
 * polytask/testing: helpers for testing experiment configs without their corpora.
 */
import path from 'node:path';

/**
 * `--set` overrides that keep a config's extraction, model and training settings but read the
 * synthetic corpus (`@polytask/dataset-synthetic`, one clip per speaker and keyword) under
 * `directory`, train 2 epochs on 2 folds and skip baselines: a fixture-sized stand-in run.
 * @example runExperiment(loadExperimentConfig('experiment.json', standInOverrides(temporaryFolder)))
 */
export function standInOverrides(directory: string): string[] {
  return [
    `datasets=[{"reader":"synthetic","options":{"directory":${JSON.stringify(path.join(directory, 'corpus'))},"clipsPerSpeakerAndKeyword":1}}]`,
    `cacheDirectory=${path.join(directory, 'cache')}`,
    `runsDirectory=${path.join(directory, 'runs')}`,
    'training.epochs=2',
    'split={"kind":"k-fold","folds":2}',
    'baselines=false',
  ];
}
